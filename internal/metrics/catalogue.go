package metrics

import "github.com/innomed/rekkevidde/internal/figures"

// The figures' names.
const (
	WebVisits               Name = "web.visits"
	WebUniqueVisitors       Name = "web.unique_visitors"
	WebPageviews            Name = "web.pageviews"
	FollowersFacebook       Name = FollowersPrefix + figures.PlatformFacebook
	FollowersInstagram      Name = FollowersPrefix + figures.PlatformInstagram
	FollowersLinkedIn       Name = FollowersPrefix + figures.PlatformLinkedIn
	NewFollowersFacebook    Name = NewFollowersPrefix + figures.PlatformFacebook
	NewFollowersInstagram   Name = NewFollowersPrefix + figures.PlatformInstagram
	NewFollowersLinkedIn    Name = NewFollowersPrefix + figures.PlatformLinkedIn
	NewsletterSubscribers   Name = "newsletter.subscribers"
	NewsletterClickRate     Name = "newsletter.click_rate"
	NewsletterLastClickRate Name = "newsletter.last_click_rate"
	EventsHeld              Name = "events.count"
	EventAttendance         Name = "events.attendance"
	Publications            Name = "publications.count"
	WebNewShare             Name = "web.new_visitors_share"
	WebReturningShare       Name = "web.returning_visitors_share"
	WebChannelShare         Name = "web.channel_share"
	WebDeviceShare          Name = "web.device_share"
	WebTopPage              Name = "web.top_page"
	NewsletterOpenRate      Name = "newsletter.open_rate"
	NewsletterCampaigns     Name = "newsletter.campaigns"
)

// Prefixes of the per-platform names: the prefix + a platform ("social.growth.facebook").
const (
	FollowersPrefix     = "social.followers."
	NewFollowersPrefix  = "social.new_followers."
	GrowthPrefix        = "social.growth."
	ReachPerMonthPrefix = "social.reach_per_month."
	// ReachPrefix names an account's reach series in the read API; reach is read per account and
	// period, never summed over accounts or periods, because it counts people.
	ReachPrefix = "social.reach."
)

// Per-platform names.
func Followers(platform string) Name     { return Name(FollowersPrefix + platform) }
func NewFollowers(platform string) Name  { return Name(NewFollowersPrefix + platform) }
func Growth(platform string) Name        { return Name(GrowthPrefix + platform) }
func ReachPerMonth(platform string) Name { return Name(ReachPerMonthPrefix + platform) }
func Reach(platform string) Name         { return Name(ReachPrefix + platform) }

// Platforms are the social platforms in the overview's order.
func Platforms() []string {
	return []string{figures.PlatformFacebook, figures.PlatformInstagram, figures.PlatformLinkedIn}
}

// ReportPlatforms are the social platforms in the annual report's column order.
func ReportPlatforms() []string {
	return []string{figures.PlatformFacebook, figures.PlatformLinkedIn, figures.PlatformInstagram}
}

// platformName is a platform as written in running text.
func platformName(p string) string {
	switch p {
	case figures.PlatformFacebook:
		return "Facebook"
	case figures.PlatformInstagram:
		return "Instagram"
	case figures.PlatformLinkedIn:
		return "LinkedIn"
	}
	return p
}

// The surfaces of a KPI the overview shows: the reports and the API compute the same set, and
// a target may name it.
const kpi = Overview | Report | API | Target

// catalogue is every figure, in All's order.
func catalogue() []Metric {
	count := ImportRule{}
	share := ImportRule{Decimals: true}
	out := []Metric{
		{Name: WebVisits, Unit: UnitCount, Shape: ShapeSum, Reader: ReadTraffic, tables: []string{"web_traffic_daily"},
			Shows: kpi | Import, Import: count, Definition: Text{
				NB: "Besøk (økter) på nettstedet, summert over periodens dager («Totalt besøkende»). Mål: besøk i året.",
				EN: "Visits (sessions) on the website, summed over the period's days (\"Totalt besøkende\"). Target: visits in the year.",
			}},
		{Name: WebUniqueVisitors, Unit: UnitCount, Shape: ShapePeriod, Reader: ReadPeriodVisitors, tables: []string{"web_visitors_period"},
			Shows: kpi | Import, Import: count, Definition: Text{
				NB: "Analyseverktøyets eget tall for unike besøkende i hele måneden, kvartalet eller året («Unike besøkende»); aldri en sum av kortere perioder. Ukjent for en egendefinert periode som ikke er en kalenderperiode, for en periode som ennå pågår, og for en periode som ble hentet før den var slutt. Mål: verktøyets tall for året (så langt).",
				EN: "The analytics tool's own unique visitors for the whole month, quarter or year (\"Unike besøkende\"); never a sum of shorter periods. Unknown for a custom range that is no calendar period, for a period still running, and for a period fetched before it ended. Target: the tool's figure for the year (so far).",
			}},
		{Name: WebPageviews, Unit: UnitCount, Shape: ShapeSum, Reader: ReadTraffic, tables: []string{"web_traffic_daily"},
			Shows: kpi, Definition: Text{
				NB: "Sidevisninger på nettstedet, summert over periodens dager (de kan legges sammen, i motsetning til unike besøkende). Mål: sidevisninger i året.",
				EN: "Pageviews on the website, summed over the period's days (they add up, unlike unique visitors). Target: pageviews in the year.",
			}},
	}
	for _, p := range Platforms() {
		out = append(out, Metric{Name: Followers(p), Unit: UnitCount, Shape: ShapeLevel, Platform: p, Reader: ReadFollowers,
			tables: []string{"social_followers_daily"}, Shows: kpi | Import, Import: count, Definition: Text{
				NB: "Følgere på " + platformName(p) + " på periodens siste dag (siste daglige måling på eller før den), summert over plattformens kontoer. En måling fra før periodens første dag er ingen verdi for perioden. Mål: følgere ved årets slutt.",
				EN: platformName(p) + " followers on the period's last day (the last daily snapshot on or before it), summed over the platform's accounts. A snapshot from before the period's first day is no value for the period. Target: followers by the year's end.",
			}})
	}
	for _, p := range Platforms() {
		out = append(out, Metric{Name: NewFollowers(p), Unit: UnitCount, Shape: ShapeSum, Platform: p, Reader: ReadFollowers,
			tables: []string{"social_followers_daily"}, Shows: kpi | Import, Import: ImportRule{Signed: true}, Definition: Text{
				NB: "Nye følgere på " + platformName(p) + ": følgere ved periodens slutt minus følgere før dens start (netto; kan være negativt). Mål: nye følgere i året.",
				EN: "New " + platformName(p) + " followers: followers at the period's end minus followers before its start (net; can be negative). Target: new followers in the year.",
			}})
	}
	out = append(out,
		Metric{Name: NewsletterSubscribers, Unit: UnitCount, Shape: ShapeLevel, Reader: ReadSubscribers, tables: []string{"newsletter_subscribers_daily"},
			Shows: kpi | Import, Import: count, Definition: Text{
				NB: "Abonnenter på nyhetsbrevet på periodens siste dag (siste måling på eller før den). Mål: abonnenter ved årets slutt.",
				EN: "Newsletter subscribers on the period's last day (the last snapshot on or before it). Target: subscribers by the year's end.",
			}},
		Metric{Name: NewsletterClickRate, Unit: UnitFraction, Shape: ShapeRate, Reader: ReadCampaigns, tables: []string{"newsletter_campaigns"},
			Shows: kpi | Import, Import: share, Definition: Text{
				NB: "Klikkrate: Σ unike klikk / Σ leverte e-poster over periodens utsendelser; endringer i prosentpoeng. Mål i prosent: 22 betyr 22 %.",
				EN: "Click rate: Σ unique clicks / Σ delivered emails over the period's sends; changes in percentage points. Target in percent: 22 means 22 %.",
			}},
		Metric{Name: NewsletterLastClickRate, Unit: UnitFraction, Shape: ShapeRate, Reader: ReadCampaigns, tables: []string{"newsletter_campaigns"},
			Shows: kpi, Definition: Text{
				NB: "Klikkraten (unike klikk / leverte) i den nyeste utsendelsen på eller før periodens siste dag. Mål i prosent.",
				EN: "The click rate (unique clicks / delivered) of the newest send on or before the period's last day. Target in percent.",
			}},
		Metric{Name: EventsHeld, Unit: UnitCount, Shape: ShapeSum, Reader: ReadEvents, tables: []string{"events"},
			Shows: kpi | Import, Import: count, Definition: Text{
				NB: "Arrangementer holdt i perioden (ikke slettede). Importeres som tall bare for år der arrangementene selv ikke er registrert. Mål: arrangementer i året.",
				EN: "Events held in the period (not deleted). Imported as a total only for years whose events themselves are not registered. Target: events in the year.",
			}},
		Metric{Name: EventAttendance, Unit: UnitCount, Shape: ShapeSum, Reader: ReadEvents, tables: []string{"events"},
			Shows: kpi | Import, Import: count, Definition: Text{
				NB: "Σ deltakere (fysisk + digitalt) på periodens arrangementer som har et tall; ukjent når ingen ble telt. Mål: deltakere i året.",
				EN: "Σ attendance (on site + digital) of the period's events that have a count; unknown when none was counted. Target: attendees in the year.",
			}},
		Metric{Name: Publications, Unit: UnitCount, Shape: ShapeSum, Reader: ReadPublications, tables: []string{"publications"},
			Shows: kpi, Definition: Text{
				NB: "Saker feedene publiserte i perioden; en sak uten publiseringsdato telles ikke i noen periode (vises som «udatert»). Mål: publiseringer i året (12 for «månedlig»).",
				EN: "Items the feeds published in the period; an item without a publication date counts in no period (shown as \"undated\"). Target: publications in the year (12 for \"monthly\").",
			}},
		Metric{Name: WebNewShare, Unit: UnitFraction, Shape: ShapeRate, Reader: ReadPeriodVisitors, tables: []string{"web_visitors_period"},
			Shows: Report | Target | Import, Import: share, Definition: Text{
				NB: "Andelen av periodens besøkende som var nye, fra analyseverktøyets tall for hele perioden. Mål i prosent.",
				EN: "The share of the period's visitors who were new, from the analytics tool's figures for the whole period. Target in percent.",
			}},
	)
	for _, p := range ReportPlatforms() {
		out = append(out,
			Metric{Name: Growth(p), Unit: UnitFraction, Shape: ShapeRate, Platform: p, Reader: ReadGrowth,
				tables: []string{"social_followers_daily"}, Shows: Report | Target | Import, Import: ImportRule{Decimals: true, AboveHundred: true}, Definition: Text{
					NB: "Vekst i følgere på " + platformName(p) + ": nye følgere delt på følgerne ved periodens start (slutt minus nye), som de gamle rapportene regnet den; kan være over 100 %. Mål i prosent.",
					EN: "Growth in " + platformName(p) + " followers: new followers over the followers at the period's start (end less new), as the old reports computed it; may exceed 100 %. Target in percent.",
				}},
			Metric{Name: ReachPerMonth(p), Unit: UnitPerMonth, Shape: ShapePeriod, Platform: p, Reader: ReadReach,
				tables: []string{"social_reach"}, Shows: Report | Target | Import, Import: ImportRule{Decimals: true}, Definition: Text{
					NB: "Rekkevidde per måned på " + platformName(p) + ": gjennomsnittet av periodens måneder som har plattformens månedstall, summert over kontoene; personer nådd, aldri summert over måneder. Mål: gjennomsnitt per måned.",
					EN: platformName(p) + " reach per month: the mean of the period's months that have the platform's month figure, summed over the accounts; people reached, never summed over months. Target: the monthly mean.",
				}},
		)
	}
	out = append(out,
		Metric{Name: WebReturningShare, Unit: UnitFraction, Shape: ShapeRate, Reader: ReadPeriodVisitors, tables: []string{"web_visitors_period"},
			Shows: Import, Import: share, Definition: Text{
				NB: "Andelen av periodens besøkende som kom tilbake (årsrapportens tabell over nye og tilbakevendende).",
				EN: "The share of the period's visitors who came back (the annual report's table of new and returning).",
			}},
		Metric{Name: WebChannelShare, Unit: UnitFraction, Shape: ShapeRate, Item: ItemChannel, Reader: ReadTraffic, tables: []string{"web_traffic_daily"},
			Shows: Import, Import: share, Definition: Text{
				NB: "Andelen av periodens besøk som kom gjennom én inngangskanal (årsrapportens kanaltabell).",
				EN: "The share of the period's visits through one entry channel (the annual report's channel table).",
			}},
		Metric{Name: WebDeviceShare, Unit: UnitFraction, Shape: ShapeRate, Item: ItemDevice, Reader: ReadTraffic, tables: []string{"web_traffic_daily"},
			Shows: Import, Import: share, Definition: Text{
				NB: "Andelen av periodens besøk fra én enhetstype, eller mobil og nettbrett sammen (årsrapportens enhetstabell).",
				EN: "The share of the period's visits from one device, or mobile and tablet together (the annual report's device table).",
			}},
		Metric{Name: WebTopPage, Unit: UnitCount, Shape: ShapeSum, Item: ItemRank, Reader: ReadTopPages, tables: []string{"web_top_pages"},
			Shows: Import, Import: ImportRule{TextRequired: true}, Definition: Text{
				NB: "En av de mest leste sidene: tittelen som tekst, sidevisningene som verdi (valgfritt).",
				EN: "A most visited page: its title in text, its pageviews in value (optional).",
			}},
		Metric{Name: NewsletterOpenRate, Unit: UnitFraction, Shape: ShapeRate, Reader: ReadCampaigns, tables: []string{"newsletter_campaigns"},
			Shows: Import, Import: share, Definition: Text{
				NB: "Åpningsrate: Σ unike åpninger / Σ leverte e-poster over periodens utsendelser.",
				EN: "Open rate: Σ unique opens / Σ delivered emails over the period's sends.",
			}},
		Metric{Name: NewsletterCampaigns, Unit: UnitCount, Shape: ShapeSum, Reader: ReadCampaigns, tables: []string{"newsletter_campaigns"},
			Shows: Import, Import: count, Definition: Text{
				NB: "Utsendelser av nyhetsbrevet i perioden.",
				EN: "Newsletter sends in the period.",
			}},
	)
	for _, p := range Platforms() {
		out = append(out, Metric{Name: Reach(p), Unit: UnitCount, Shape: ShapePeriod, Platform: p, Reader: ReadReach,
			tables: []string{"social_reach"}, Shows: API, Definition: Text{
				NB: "Personer én konto på " + platformName(p) + " nådde, plattformens eget tall for nøyaktig den dagen, måneden, kvartalet eller året; per konto, aldri summert.",
				EN: "People one " + platformName(p) + " account reached, the platform's own figure for exactly that day, month, quarter or year; per account, never summed.",
			}})
	}
	return out
}
