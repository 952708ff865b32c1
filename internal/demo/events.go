package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Event kinds, as stored (the dashboard translates them).
const (
	KindWebinar              = "webinar"
	KindNetworkMeeting       = "network_meeting"
	KindNationalMeetingPlace = "national_meeting_place"
	KindCourse               = "course"
	KindConference           = "conference"
	KindOther                = "other"
)

// Sectors that attendance is broken down by.
const (
	SectorMunicipality            = "municipality"
	SectorHealthTrust             = "health_trust"
	SectorRegionalHealthAuthority = "regional_health_authority"
	SectorKS                      = "ks"
	SectorOther                   = "other"
	SectorUnknown                 = "unknown"
)

func sectors() []string {
	return []string{SectorMunicipality, SectorHealthTrust, SectorRegionalHealthAuthority, SectorKS, SectorOther, SectorUnknown}
}

// eventFormat says where people can attend, which decides which attendance column is NULL.
type eventFormat int

const (
	formatDigital eventFormat = iota
	formatOnSite
	formatHybrid
	formatUnrecorded // held, but nobody counted (attendance stays NULL)
)

// eventSpec is one event as the secretariat would enter it.
type eventSpec struct {
	date   time.Time
	kind   string
	title  string
	format eventFormat
	// Attendance as the annual report gives it (registered chosen to go with it); zero means
	// "generate a believable one".
	registered, onSite, digital int
	deleted                     bool
	idSuffix                    string // tells apart a second entry of the same kind on the same day
}

// eventID is stable across loads: date and kind (e.g. demo-2022-03-31-national-meeting-place).
func (e eventSpec) eventID() string {
	id := "demo-" + e.date.Format("2006-01-02") + "-" + strings.ReplaceAll(e.kind, "_", "-")
	if e.idSuffix != "" {
		id += "-" + e.idSuffix
	}
	return id
}

// startEnd gives the local wall-clock hours each kind usually runs.
func (e eventSpec) startEnd() (startH, startM, endH, endM int) {
	switch e.kind {
	case KindWebinar:
		return 13, 0, 14, 0
	case KindNetworkMeeting:
		return 9, 0, 11, 30
	case KindNationalMeetingPlace:
		return 10, 0, 15, 30
	case KindCourse:
		return 9, 0, 15, 0
	case KindConference:
		return 9, 0, 16, 0
	default:
		return 12, 0, 16, 0
	}
}

const (
	dhoTitle     = "Nasjonal møteplass for digital hjemmeoppfølging"
	courseTitle  = "Introduksjonskurs i behovsdrevet innovasjon"
	networkTitle = "Kompetansenettverksmøte"
)

// eventCatalogue lists every demo event. 2022 is InnoMed's annual report, event for event; 2021 and
// 2023 follow the same rhythm (2021 fully digital, 2023 with the monthly webinars InnoMed aimed for).
func eventCatalogue() []eventSpec {
	web := func(y int, m time.Month, d int, theme string) eventSpec {
		return eventSpec{date: day(y, m, d), kind: KindWebinar, title: "Webinar: " + theme, format: formatDigital}
	}
	net := func(y int, m time.Month, d int, f eventFormat) eventSpec {
		return eventSpec{date: day(y, m, d), kind: KindNetworkMeeting, title: networkTitle, format: f}
	}
	dho := func(y int, m time.Month, d int, theme string, f eventFormat) eventSpec {
		return eventSpec{date: day(y, m, d), kind: KindNationalMeetingPlace, title: dhoTitle + ": " + theme, format: f}
	}
	course := func(y int, m time.Month, d int) eventSpec {
		return eventSpec{date: day(y, m, d), kind: KindCourse, title: courseTitle, format: formatDigital}
	}
	events := []eventSpec{
		// 2021: the pandemic year, everything digital.
		net(2021, time.January, 27, formatDigital),
		web(2021, time.February, 11, "Behovsdrevet innovasjon i praksis"),
		net(2021, time.February, 24, formatDigital),
		course(2021, time.March, 18),
		net(2021, time.March, 24, formatDigital),
		web(2021, time.April, 22, "Tjenestedesign i helsesektoren"),
		net(2021, time.April, 28, formatDigital),
		web(2021, time.June, 3, "Gevinstrealisering"),
		dho(2021, time.June, 10, "erfaringer fra utprøvingen", formatDigital),
		course(2021, time.June, 17),
		net(2021, time.September, 15, formatDigital),
		web(2021, time.September, 23, "Innovasjonspartnerskap"),
		net(2021, time.October, 27, formatDigital),
		dho(2021, time.November, 4, "veien videre etter utprøvingen", formatDigital),
		web(2021, time.November, 18, "Velferdsteknologi i kommunene"),
		net(2021, time.November, 24, formatDigital),
		course(2021, time.November, 25),
		net(2021, time.December, 15, formatDigital),

		// 2022: the annual report's events.
		web(2022, time.January, 13, "Kreativ problemløsing"),
		net(2022, time.January, 26, formatDigital),
		net(2022, time.February, 16, formatDigital),
		web(2022, time.March, 9, "Digital hjemmeoppfølging og dialyse"),
		course(2022, time.March, 17),
		net(2022, time.March, 23, formatDigital),
		{date: day(2022, time.March, 31), kind: KindNationalMeetingPlace, format: formatDigital,
			title:      dhoTitle + ": strategi og planer for DHO og sykehus hjemme",
			registered: 131, digital: 100},
		net(2022, time.April, 20, formatDigital),
		web(2022, time.May, 25, "Videokonsultasjon"),
		course(2022, time.June, 16),
		{date: day(2022, time.August, 24), kind: KindNationalMeetingPlace, format: formatDigital,
			title:      dhoTitle + ": nasjonale initiativ og anskaffelser",
			registered: 126, digital: 100},
		net(2022, time.September, 14, formatHybrid),
		web(2022, time.October, 20, "Fra tjenesteutvikling til pilotering"),
		net(2022, time.October, 26, formatDigital),
		{date: day(2022, time.November, 7), kind: KindNationalMeetingPlace, format: formatHybrid,
			title:      dhoTitle + ": oppfølging av gevinster ved DHO",
			registered: 117, onSite: 40, digital: 60},
		web(2022, time.November, 17, "Finansiering av samhandlingsløsninger"),
		course(2022, time.November, 24),
		net(2022, time.December, 1, formatDigital),
		web(2022, time.December, 8, "Kunstig intelligens"),
		net(2022, time.December, 14, formatHybrid),

		// 2023: monthly webinars and network meetings, a conference, a visit to Arendalsuka.
		web(2023, time.January, 19, "Innovasjon i primærhelsetjenesten"),
		net(2023, time.January, 25, formatDigital),
		web(2023, time.February, 16, "Brukermedvirkning i innovasjonsprosjekter"),
		net(2023, time.February, 22, formatDigital),
		course(2023, time.March, 9),
		web(2023, time.March, 16, "Anskaffelser som virkemiddel"),
		net(2023, time.March, 22, formatDigital),
		dho(2023, time.March, 29, "sykehus hjemme i praksis", formatHybrid),
		web(2023, time.April, 20, "Helsedata og personvern"),
		// Entered twice by mistake and deleted: deleted events never count.
		{date: day(2023, time.April, 20), kind: KindWebinar, title: "Webinar: Helsedata og personvern",
			format: formatDigital, deleted: true, idSuffix: "duplikat"},
		net(2023, time.April, 26, formatDigital),
		net(2023, time.May, 24, formatDigital),
		web(2023, time.May, 25, "Sykehus hjemme"),
		course(2023, time.June, 8),
		net(2023, time.June, 14, formatDigital),
		web(2023, time.June, 15, "Fra pilot til drift"),
		{date: day(2023, time.August, 16), kind: KindOther, title: "InnoMed på Arendalsuka", format: formatUnrecorded},
		dho(2023, time.September, 6, "felles tjenestemodell", formatDigital),
		net(2023, time.September, 13, formatDigital),
		web(2023, time.September, 21, "Kunstig intelligens i klinikken"),
		{date: day(2023, time.October, 10), kind: KindConference, title: "InnoMed-konferansen 2023", format: formatHybrid},
		web(2023, time.October, 19, "Gevinstrealisering i praksis"),
		net(2023, time.October, 25, formatHybrid),
		course(2023, time.November, 9),
		dho(2023, time.November, 15, "skalering og finansiering", formatHybrid),
		web(2023, time.November, 16, "Samhandling mellom kommune og sykehus"),
		net(2023, time.November, 22, formatDigital),
		web(2023, time.December, 7, "Erfaringer fra prosessveiledning"),
		net(2023, time.December, 13, formatHybrid),
	}
	return events
}

// attendance is one event's generated or fixed figures; nil means NULL (not applicable / not counted).
type attendance struct {
	registered, onSite, digital *int
}

func (a attendance) total() int {
	n := 0
	if a.onSite != nil {
		n += *a.onSite
	}
	if a.digital != nil {
		n += *a.digital
	}
	return n
}

func intPtr(n int) *int { return &n }

// growth scales audiences by year: InnoMed's events drew more people every year.
func growth(year int) float64 {
	switch year {
	case 2021:
		return 0.78
	case 2023:
		return 1.18
	}
	return 1
}

// attendanceFor returns the report's figures where it gives them and believable ones elsewhere.
func attendanceFor(r *rand.Rand, e eventSpec) attendance {
	if e.format == formatUnrecorded {
		return attendance{}
	}
	if e.registered > 0 {
		a := attendance{registered: intPtr(e.registered)}
		if e.format != formatDigital {
			a.onSite = intPtr(e.onSite)
		}
		if e.format != formatOnSite {
			a.digital = intPtr(e.digital)
		}
		return a
	}
	g := growth(e.date.Year())
	var registered int
	var showRate float64
	switch e.kind {
	case KindWebinar:
		registered, showRate = int(float64(intBetween(r, 85, 150))*g), uniform(r, 0.55, 0.68)
	case KindNetworkMeeting:
		registered, showRate = int(float64(intBetween(r, 20, 32))*g), uniform(r, 0.80, 0.95)
	case KindNationalMeetingPlace:
		registered, showRate = int(float64(intBetween(r, 115, 135))*g), uniform(r, 0.76, 0.86)
	case KindCourse:
		registered, showRate = int(float64(intBetween(r, 16, 26))*g), uniform(r, 0.85, 0.96)
	case KindConference:
		registered, showRate = intBetween(r, 220, 240), uniform(r, 0.86, 0.92)
	default:
		registered, showRate = intBetween(r, 20, 40), 0.8
	}
	attended := int(float64(registered)*showRate + 0.5)
	a := attendance{registered: intPtr(registered)}
	switch e.format {
	case formatDigital:
		a.digital = intPtr(attended)
	case formatOnSite:
		a.onSite = intPtr(attended)
	case formatHybrid:
		share := uniform(r, 0.40, 0.55)
		if e.kind == KindConference {
			share = uniform(r, 0.68, 0.74)
		}
		onSite := int(float64(attended)*share + 0.5)
		a.onSite, a.digital = intPtr(onSite), intPtr(attended-onSite)
	}
	return a
}

// sectorWeights is who comes to each kind of event: municipalities and health trusts dominate.
// Unknown (no address: guests joining without registering) is largest for open webinars.
func sectorWeights(kind string) []float64 { // order as sectors()
	switch kind {
	case KindNetworkMeeting:
		return []float64{0.28, 0.50, 0.12, 0.04, 0.05, 0.01}
	case KindNationalMeetingPlace:
		return []float64{0.40, 0.40, 0.09, 0.04, 0.06, 0.01}
	case KindCourse:
		return []float64{0.45, 0.33, 0.03, 0.02, 0.15, 0.02}
	default:
		return []float64{0.38, 0.33, 0.06, 0.03, 0.16, 0.04}
	}
}

// sectorSplit divides attended and registered between sectors so that each sector's attended is at
// most its registered and both add up to the event's figures.
func sectorSplit(r *rand.Rand, kind string, registered, attended int) (reg, att []int) {
	base := sectorWeights(kind)
	// Unknown shares other's noise: one draw fewer than sectors keeps the rest of the generated
	// data (drawn from the same source afterwards) as it was before unknown existed.
	w := make([]float64, len(base))
	var n float64
	for i, b := range base {
		if sectors()[i] != SectorUnknown {
			n = noise(r, 0.2)
		}
		w[i] = b * n
	}
	att = allocate(attended, w)
	noShows := allocate(registered-attended, w)
	reg = make([]int, len(att))
	for i := range att {
		reg[i] = att[i] + noShows[i]
	}
	return reg, att
}

func nullableU32(p *int) *uint32 {
	if p == nil {
		return nil
	}
	v := u32(*p)
	return &v
}

// buildEvents writes every event and, for counted ones, its attendance by sector.
func buildEvents(loc *time.Location, version uint64) ([]batch, error) {
	events := batch{table: "events", columns: []string{"account_id", "event_id", "kind", "title", "starts_at",
		"ends_at", "registered", "attended_on_site", "attended_digital", "deleted", "source", "version"}}
	bySector := batch{table: "event_attendance_by_sector",
		columns: []string{"account_id", "event_id", "sector", "registered", "attended", "source", "version"}}
	r := newRand("events")
	seen := map[string]bool{}
	for _, e := range eventCatalogue() {
		id := e.eventID()
		if seen[id] {
			return nil, fmt.Errorf("events: duplicate event id %s", id)
		}
		seen[id] = true
		a := attendanceFor(r, e)
		sh, sm, eh, em := e.startEnd()
		starts, ends := localTime(loc, e.date, sh, sm), localTime(loc, e.date, eh, em)
		var deleted uint8
		if e.deleted {
			deleted = 1
		}
		events.rows = append(events.rows, []any{AccountID, id, e.kind, e.title, starts, &ends,
			nullableU32(a.registered), nullableU32(a.onSite), nullableU32(a.digital), deleted, Source, version})
		if e.deleted || a.registered == nil {
			continue
		}
		reg, att := sectorSplit(r, e.kind, *a.registered, a.total())
		for i, s := range sectors() {
			if reg[i] == 0 {
				continue // nobody from this sector signed up: no row, as the sign-up export would show
			}
			bySector.rows = append(bySector.rows, []any{AccountID, id, s, u32(reg[i]), u32(att[i]), Source, version})
		}
	}
	return []batch{events, bySector}, nil
}

// happenings is what other tables react to: traffic, follows and sign-ups rise around events.
type happenings struct {
	eventDays map[time.Time]string // date → kind of the biggest event that day (not deleted)
}

func newHappenings() happenings {
	h := happenings{eventDays: map[time.Time]string{}}
	for _, e := range eventCatalogue() {
		if e.deleted {
			continue
		}
		if prev, ok := h.eventDays[e.date]; !ok || eventPull(e.kind) > eventPull(prev) {
			h.eventDays[e.date] = e.kind
		}
	}
	return h
}

// eventPull is how much an event of a kind lifts a day's web traffic and sign-ups.
func eventPull(kind string) float64 {
	switch kind {
	case KindNationalMeetingPlace, KindConference:
		return 1.45
	case KindWebinar:
		return 1.25
	case KindCourse, KindNetworkMeeting:
		return 1.08
	}
	return 1.03
}

// boost is the lift a day gets from an event on it or in the next two days (people look it up).
func (h happenings) boost(d time.Time) float64 {
	b := 1.0
	for ahead := 0; ahead <= 2; ahead++ {
		if kind, ok := h.eventDays[d.AddDate(0, 0, ahead)]; ok {
			lift := eventPull(kind) - 1
			if ahead > 0 {
				lift /= 2
			}
			b += lift
		}
	}
	return b
}

// dhoMonth reports whether a national meeting place was held in the month (it lifts its page).
func (h happenings) dhoMonth(monthStart time.Time) bool {
	for _, d := range daysOf(monthStart, monthEnd(monthStart)) {
		if h.eventDays[d] == KindNationalMeetingPlace {
			return true
		}
	}
	return false
}
