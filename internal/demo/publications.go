package demo

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

const siteURL = "https://www.innomed.no"

// publication is one item of innomed.no's news feed.
type publication struct {
	title, category string
	date            time.Time
	hour, minute    int
}

// newsPool are everyday news items, used in order to fill the months that events and fixed
// announcements leave thin.
func newsPool() []publication {
	items := []struct{ title, category string }{
		{"Nye prosjekter får prosessveiledning", "Prosessveiledning"},
		{"Slik lykkes kommunene med behovsdrevet innovasjon", "Nyhet"},
		{"Ny veileder for behovskartlegging", "Verktøy"},
		{"Erfaringer fra utprøving av digital hjemmeoppfølging", "Nyhet"},
		{"Innovasjonsrådgiverne samlet i Trondheim", "Nyhet"},
		{"Behovsdrevet innovasjon i Helse Nord", "Nyhet"},
		{"Tjenestedesign gir bedre pasientforløp", "Nyhet"},
		{"Ny mal for gevinstrealiseringsplan", "Verktøy"},
		{"Hvordan skrive en god behovsbeskrivelse", "Verktøy"},
		{"Sykehus hjemme – status og erfaringer", "Nyhet"},
		{"Møt våre innovasjonsrådgivere", "Nyhet"},
		{"Prosjekt om legemiddelhåndtering i hjemmetjenesten", "Prosessveiledning"},
		{"Innovasjonspartnerskap: lærdom fra kommunene", "Nyhet"},
		{"Rapport: Behov for digital samhandling", "Rapport"},
		{"Brukermedvirkning i innovasjonsprosjekter", "Nyhet"},
		{"Nytt verktøy for interessentanalyse", "Verktøy"},
		{"Velferdsteknologi i distriktskommuner", "Nyhet"},
		{"Prosjekt om sårbehandling med video", "Prosessveiledning"},
		{"Samarbeid med KS om innovasjon i kommunene", "Nyhet"},
		{"Rapport: Gevinster av digital hjemmeoppfølging", "Rapport"},
		{"Fra idé til pilot på ett år", "Nyhet"},
		{"Tips til søknaden om prosessveiledning", "Prosessveiledning"},
		{"Innovasjon i psykisk helsevern", "Nyhet"},
		{"Digital hjemmeoppfølging for kronisk syke", "Nyhet"},
		{"Nye medlemmer i kompetansenettverket", "Nyhet"},
		{"Ny oversikt over finansieringskilder", "Verktøy"},
		{"Prosjekt om ernæring for hjemmeboende eldre", "Prosessveiledning"},
		{"Innovasjon i akuttmottaket", "Nyhet"},
		{"Helsefellesskapene og innovasjon", "Nyhet"},
		{"Gevinstrealisering i praksis: tre eksempler", "Nyhet"},
		{"Oppdatert søknadsskjema for prosessveiledning", "Prosessveiledning"},
		{"Rapport: Evaluering av prosessveiledningen", "Rapport"},
		{"Hjemmesykehus for barn", "Nyhet"},
		{"Innovasjonsledelse i sykehus", "Nyhet"},
		{"Prosjekt om digital legevakt", "Prosessveiledning"},
		{"Erfaringsdeling fra kompetansenettverket", "Nyhet"},
		{"Ny strategi for InnoMed", "Nyhet"},
		{"Prosjekt om medisinsk avstandsoppfølging i Helse Vest", "Prosessveiledning"},
		{"Innovasjon i tannhelsetjenesten", "Nyhet"},
		{"Pasientens legemiddelliste – et innovasjonsløft", "Nyhet"},
		{"Nye verktøy for prosjektledere", "Verktøy"},
		{"Kunstig intelligens i helsetjenesten – hvor står vi?", "Nyhet"},
		{"Prosjekt om fallforebygging med sensorer", "Prosessveiledning"},
		{"Innovasjon i rusomsorgen", "Nyhet"},
		{"Slik måler du gevinster i kommunale prosjekter", "Verktøy"},
		{"Erfaringer fra sykehus hjemme i Helse Sør-Øst", "Nyhet"},
		{"Prosjekt om digital oppfølging av gravide", "Prosessveiledning"},
		{"Rapport: Innovasjonsarbeid i helsefellesskapene", "Rapport"},
	}
	out := make([]publication, len(items))
	for i, it := range items {
		out[i] = publication{title: it.title, category: it.category}
	}
	return out
}

// fixedPublications are the announcements every year brings: events (two weeks ahead, four for the
// big ones), the three allocation rounds for process guidance, and last year's annual report.
func fixedPublications() []publication {
	var out []publication
	for _, e := range eventCatalogue() {
		if e.deleted {
			continue
		}
		switch e.kind {
		case KindWebinar:
			out = append(out, publication{title: e.title, category: "Arrangement",
				date: nextWorkday(e.date.AddDate(0, 0, -14)), hour: 10})
		case KindNationalMeetingPlace, KindConference:
			out = append(out, publication{title: e.title + " " + strconv.Itoa(e.date.Day()) + ". " + norwegianMonth(e.date.Month()),
				category: "Arrangement", date: nextWorkday(e.date.AddDate(0, 0, -28)), hour: 10})
		}
	}
	for y := FirstYear; y <= LastYear; y++ {
		out = append(out, publication{title: fmt.Sprintf("Årsrapport for %d er publisert", y-1), category: "Rapport",
			date: nextWorkday(day(y, time.March, 20)), hour: 12})
		for k, deadline := range []time.Time{day(y, time.February, 15), day(y, time.May, 15), day(y, time.October, 15)} {
			out = append(out, publication{
				title:    fmt.Sprintf("Tildelingsrunde %d %d: søk prosessveiledning innen %d. %s", k+1, y, deadline.Day(), norwegianMonth(deadline.Month())),
				category: "Prosessveiledning", date: nextWorkday(deadline.AddDate(0, 0, -21)), hour: 9})
		}
	}
	return out
}

// maxPublicationsPerMonth: the feed never shows more than this many items in a month.
const maxPublicationsPerMonth = 4

// monthlyPublications picks 1–4 items per month: the fixed announcements first, then news.
func monthlyPublications() ([]publication, error) {
	r := newRand("publications")
	fixed := fixedPublications()
	sort.SliceStable(fixed, func(i, j int) bool { return fixed[i].date.Before(fixed[j].date) })
	pool := newsPool()
	var out []publication
	for y := FirstYear; y <= LastYear; y++ {
		for m := time.January; m <= time.December; m++ {
			var month []publication
			for _, p := range fixed {
				if p.date.Year() == y && p.date.Month() == m && len(month) < maxPublicationsPerMonth {
					month = append(month, p)
				}
			}
			want := 1 + r.IntN(2)
			if y == LastYear {
				want = 2 + r.IntN(2) // 2023's goal: monthly publications on the website
			}
			if m == time.July {
				want = 1
			}
			for len(month) < want && len(pool) > 0 {
				p := pool[0]
				pool = pool[1:]
				d := nextWorkday(day(y, m, intBetween(r, 1, 26)))
				p.date, p.hour, p.minute = d, intBetween(r, 8, 14), 5*r.IntN(12)
				month = append(month, p)
			}
			if len(month) == 0 {
				return nil, fmt.Errorf("publications: nothing left to publish in %d-%02d", y, m)
			}
			sort.SliceStable(month, func(i, j int) bool {
				if !month[i].date.Equal(month[j].date) {
					return month[i].date.Before(month[j].date)
				}
				return month[i].hour*60+month[i].minute < month[j].hour*60+month[j].minute
			})
			out = append(out, month...)
		}
	}
	return out, nil
}

// firstDrupalNode is the node id of the demo's first item; Drupal's RSS guid is "<nid> at <site>".
const firstDrupalNode = 1180

func buildPublications(loc *time.Location, version uint64) (batch, error) {
	b := batch{table: "publications", columns: []string{"feed_id", "item_key", "title", "link", "published_at",
		"category", "first_seen", "source", "version"}}
	items, err := monthlyPublications()
	if err != nil {
		return b, err
	}
	links := map[string]bool{}
	for i, p := range items {
		link := siteURL + "/aktuelt/" + slug(p.title)
		if links[link] {
			return b, fmt.Errorf("publications: two items would share the link %s", link)
		}
		links[link] = true
		published := localTime(loc, p.date, p.hour, p.minute)
		firstSeen := published.Truncate(time.Hour).Add(time.Hour) // the feed is polled hourly
		key := fmt.Sprintf("%d at %s", firstDrupalNode+i, siteURL)
		b.rows = append(b.rows, []any{FeedID, key, p.title, link, published, p.category, firstSeen, Source, version})
	}
	return b, nil
}

// buildAnnotations writes a handful of the notes a communications team adds by hand.
func buildAnnotations(siteID string, version uint64) batch {
	b := batch{table: "annotations", columns: []string{"scope", "annotation_id", "date", "kind", "title", "link",
		"deleted", "source", "version"}}
	notes := []struct {
		date      time.Time
		id, title string
		link      string
	}{
		{day(2021, time.June, 14), "instagram-token", "Instagram-innsamlingen stanset (utløpt tilgangsnøkkel): ingen tall 14.–17. juni", ""},
		{day(2021, time.October, 4), "ny-forside", "Ny forside på innomed.no", siteURL + "/"},
		{day(2022, time.January, 10), "fremdriftsplan", "Mal for fremdriftsplan publisert", siteURL + "/verktoy/mal-for-fremdriftsplan"},
		{day(2022, time.February, 1), "instagram-kampanje", "Instagram-kampanje for nasjonal møteplass (februar–april)", ""},
		{day(2022, time.September, 1), "linkedin-kampanje", "LinkedIn-kampanje høsten 2022 (september–november)", ""},
		{day(2023, time.January, 2), "mal-2023", "Mål for 2023: månedlige webinarer, nettverksmøter og publiseringer", ""},
		{day(2023, time.October, 10), "konferansen-2023", "InnoMed-konferansen 2023", siteURL + "/aktuelt/" + slug("InnoMed-konferansen 2023 10. oktober")},
	}
	for _, n := range notes {
		id := "demo-" + n.date.Format("2006-01-02") + "-" + n.id
		b.rows = append(b.rows, []any{siteID, id, n.date, "manual", n.title, n.link, uint8(0), Source, version})
	}
	return b
}
