package i18n

// catalogue holds every message the dashboard shows, per language. Keys are "area.name"; values may
// hold fmt verbs, filled by Lang.T. Bokmål is the reference: the annual report is written in it, so
// its wording follows the report ("Totalt besøkende", "Unike besøkende").
var catalogue = map[Lang]map[string]string{
	NB: {
		"app.name":        "Rekkevidde",
		"app.tagline":     "InnoMeds kommunikasjonstall",
		"nav.language":    "Språk",
		"nav.skip":        "Hopp til innholdet",
		"quarter.name":    "%d. kvartal",
		"quarter.heading": "Kvartal",

		"visitors.title":             "Besøkende per kvartal",
		"visitors.total":             "Totalt besøkende",
		"visitors.unique":            "Unike besøkende",
		"visitors.intro":             "Totalt besøkende er antall besøk (økter) på nettstedet. Unike besøkende teller hver person én gang per kvartal, og kan derfor ikke legges sammen til et årstall.",
		"visitors.subtitle":          "%s, %d",
		"visitors.caption":           "Besøkende per kvartal på %s i %d",
		"visitors.chart_label":       "Stolpediagram over totalt og unike besøkende per kvartal på %s i %d. De samme tallene står i tabellen under diagrammet.",
		"visitors.no_unique":         "ikke oppgitt av analyseverktøyet",
		"visitors.no_unique_note":    "– betyr at analyseverktøyet ikke har oppgitt unike besøkende for kvartalet. Tallet kan ikke regnes ut av dag- eller månedstall, så det står tomt i stedet for å bli anslått.",
		"visitors.empty_title":       "Ingen besøkstall ennå",
		"visitors.empty_body":        "Rekkevidde har ikke hentet besøkstall for %s ennå. Når innsamlingen har kjørt, vises tallene her.",
		"visitors.filename":          "besokende-per-kvartal-%s-%d",
		"visitors.partial_year_note": "Kvartaler uten tall er utelatt.",

		"form.site":   "Nettsted",
		"form.year":   "År",
		"form.submit": "Vis",

		"chart.save_image": "Lagre som bilde",

		"error.title":         "Noe gikk galt",
		"error.bad_request":   "Ugyldig forespørsel",
		"error.not_found":     "Fant ikke siden",
		"error.not_found_msg": "Siden du ba om, finnes ikke.",
		"error.method":        "Metoden er ikke tillatt for denne adressen.",
		"error.internal":      "Det oppstod en feil på serveren. Feilen er logget; prøv igjen om litt.",
		"error.unknown_site":  "Ukjent nettsted «%s». Velg et av disse: %s.",
		"error.bad_year":      "«%s» er ikke et gyldig årstall.",
		"error.no_data_year":  "Det finnes ingen besøkstall for %s i %d. År med tall: %s.",
		"error.no_sites":      "Ingen nettsteder er satt opp (sites i konfigurasjonen).",
		"error.back":          "Til forsiden",
	},
	EN: {
		"app.name":        "Rekkevidde",
		"app.tagline":     "InnoMed's communication figures",
		"nav.language":    "Language",
		"nav.skip":        "Skip to content",
		"quarter.name":    "Q%d",
		"quarter.heading": "Quarter",

		"visitors.title":             "Visitors per quarter",
		"visitors.total":             "Total visitors",
		"visitors.unique":            "Unique visitors",
		"visitors.intro":             "Total visitors counts visits (sessions) to the website. Unique visitors counts each person once per quarter, so quarters cannot be added up to a figure for the year.",
		"visitors.subtitle":          "%s, %d",
		"visitors.caption":           "Visitors per quarter on %s in %d",
		"visitors.chart_label":       "Bar chart of total and unique visitors per quarter on %s in %d. The same figures are in the table below the chart.",
		"visitors.no_unique":         "not provided by the analytics tool",
		"visitors.no_unique_note":    "– means the analytics tool gave no unique-visitor figure for the quarter. It cannot be derived from daily or monthly figures, so it is left blank rather than estimated.",
		"visitors.empty_title":       "No visitor figures yet",
		"visitors.empty_body":        "Rekkevidde has not collected visitor figures for %s yet. They will appear here once collection has run.",
		"visitors.filename":          "visitors-per-quarter-%s-%d",
		"visitors.partial_year_note": "Quarters without figures are left out.",

		"form.site":   "Website",
		"form.year":   "Year",
		"form.submit": "Show",

		"chart.save_image": "Save as image",

		"error.title":         "Something went wrong",
		"error.bad_request":   "Bad request",
		"error.not_found":     "Page not found",
		"error.not_found_msg": "The page you asked for does not exist.",
		"error.method":        "That method is not allowed for this address.",
		"error.internal":      "The server ran into an error. It has been logged; please try again shortly.",
		"error.unknown_site":  "Unknown website “%s”. Choose one of: %s.",
		"error.bad_year":      "“%s” is not a valid year.",
		"error.no_data_year":  "There are no visitor figures for %s in %d. Years with figures: %s.",
		"error.no_sites":      "No websites are configured (sites in the configuration).",
		"error.back":          "Back to the front page",
	},
}
