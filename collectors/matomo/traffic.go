package matomo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// newVisitorsSegment narrows a report to visits that were a visitor's first (what VisitFrequency
// calls "new").
const newVisitorsSegment = "visitorType==new"

// maxListedProblems bounds how many failed days an error spells out.
const maxListedProblems = 5

// channelFigures is everything fetched for one channel (referrer type) over the window.
type channelFigures struct {
	// segment is the channel's own segment as Matomo wrote it, e.g. "referrerType==search".
	segment string
	// devices: visits and unique visitors per device type (DevicesDetection.getType); newDevices
	// the same for new visitors only.
	devices, newDevices map[time.Time][]row
	// pageviews of the whole channel (Actions.get), and of each device type by its segment.
	pageviews       map[time.Time]metrics
	devicePageviews map[string]map[time.Time]metrics
}

// collectTraffic adds the window's daily channel × device sets.
//
// Matomo has no channel × device report, so each channel's report is split by device with
// segments (see README.md): DevicesDetection.getType per channel segment gives visits and unique
// visitors per device type, the same with visitorType==new gives new visitors, and Actions.get per
// channel × device type segment gives pageviews. A day is added only when its cells add up to
// Matomo's unsegmented totals of visits and pageviews; otherwise segments were not processed for
// that day and the day would be stored wrong.
func (c *collector) collectTraffic(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	today := days.Of(c.now(), c.loc)
	// Matomo counts a visit on the day it ends and a pageview on the day it happens, so a visit
	// crossing midnight after the window's last day has pageviews inside the window. Fetching the
	// day after puts its channel and device type among the segments asked for.
	fetch := window
	if window.To.Before(today) {
		fetch.To = window.To.AddDate(0, 0, 1)
	}
	totals, err := c.dailyRows(ctx, "Referrers.getReferrerType", fetch, "")
	if err != nil {
		return err
	}
	totalViews, err := c.dailyMetrics(ctx, "Actions.get", fetch, "")
	if err != nil {
		return err
	}
	dayTotals, err := c.campaignsByMedium(ctx, fetch, totals, sink)
	if err != nil {
		return err
	}
	segments, err := channelSegments(dayTotals)
	if err != nil {
		return fmt.Errorf("matomo: id_site %d: %w", c.idSite, err)
	}
	channels := make([]channelFigures, 0, len(segments))
	var splitErr error
	for _, segment := range segments {
		f, err := c.channelFigures(ctx, fetch, segment)
		if err != nil {
			if collectors.EndsRun(ctx, err) {
				return err
			}
			splitErr = err
			break
		}
		channels = append(channels, f)
	}
	if splitErr != nil {
		// The device split was refused (DevicesDetection deactivated, a segment not allowed):
		// the channel totals already read are still stored, each channel as device "other".
		// Campaigns are not split by medium here: their device split is what failed.
		dayTotals = totals
		if segments, err = channelSegments(totals); err != nil {
			return errors.Join(splitErr, err)
		}
		if channels, err = c.channelTotals(ctx, fetch, segments, totals); err != nil {
			return errors.Join(splitErr, err)
		}
	}

	names := newNameMapper(c.log, c.campaignChannel)
	var problems []dayProblem
	window.Each(func(day time.Time) {
		records, problem := dayRecords(c.site, day, dayTotals[day], totalViews[day], channels, names)
		switch {
		case problem == nil:
			sink.Add(records...)
		case day.Equal(today):
			// Matomo re-archives today every few minutes, so the segmented and unsegmented
			// answers may describe slightly different moments.
			sink.Note("matomo: today's figures (%s) did not add up yet while Matomo was archiving the day; they are collected again on the next run", days.Format(day))
		default:
			problems = append(problems, *problem)
		}
	})
	if err := c.problemsError(problems); err != nil {
		return errors.Join(splitErr, err)
	}
	if splitErr != nil {
		return collectors.Partly(fmt.Errorf("the device split was refused, so %s is stored by channel with device \"other\": %w", window, splitErr))
	}
	return nil
}

// channelTotals is the coarser split used when the device split is refused: per channel, its
// visits and unique visitors from Referrers.getReferrerType, its new visitors from the same report
// segmented to new visitors, and its pageviews from Actions.get; all of it under Matomo's Unknown
// device type, which is stored as device "other".
func (c *collector) channelTotals(ctx context.Context, window days.Range, segments []string, totals map[time.Time][]row) ([]channelFigures, error) {
	newRows, err := c.dailyRows(ctx, "Referrers.getReferrerType", window, newVisitorsSegment)
	if err != nil {
		return nil, err
	}
	only := func(rows []row, segment string) []row {
		for _, r := range rows {
			if r.Segment == segment {
				return []row{{Label: "Unknown", Visits: r.Visits, Uniques: r.Uniques}}
			}
		}
		return nil
	}
	out := make([]channelFigures, 0, len(segments))
	for _, segment := range segments {
		f := channelFigures{segment: segment, devices: map[time.Time][]row{}, newDevices: map[time.Time][]row{},
			devicePageviews: map[string]map[time.Time]metrics{}}
		for day, rows := range totals {
			f.devices[day] = only(rows, segment)
		}
		for day, rows := range newRows {
			f.newDevices[day] = only(rows, segment)
		}
		if f.pageviews, err = c.dailyMetrics(ctx, "Actions.get", window, segment); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// channelFigures fetches one channel's split by device for every day of window.
func (c *collector) channelFigures(ctx context.Context, window days.Range, segment string) (channelFigures, error) {
	f := channelFigures{segment: segment, devicePageviews: map[string]map[time.Time]metrics{}}
	var err error
	if f.devices, err = c.dailyRows(ctx, "DevicesDetection.getType", window, segment); err != nil {
		return f, err
	}
	if f.newDevices, err = c.dailyRows(ctx, "DevicesDetection.getType", window, segment+";"+newVisitorsSegment); err != nil {
		return f, err
	}
	if f.pageviews, err = c.dailyMetrics(ctx, "Actions.get", window, segment); err != nil {
		return f, err
	}
	for _, device := range deviceSegments(f.devices) {
		if f.devicePageviews[device], err = c.dailyMetrics(ctx, "Actions.get", window, segment+";"+device); err != nil {
			return f, err
		}
	}
	return f, nil
}

// channelSegments lists the segments of the channels with visits on any day fetched, each once.
func channelSegments(totals map[time.Time][]row) ([]string, error) {
	seen := map[string]bool{}
	for day, rows := range totals {
		for _, r := range rows {
			if r.Visits.value == 0 {
				continue
			}
			if r.Segment == "" {
				return nil, fmt.Errorf("Referrers.getReferrerType row %q of %s has no segment, so its visits cannot be split by device", r.Label, days.Format(day))
			}
			seen[r.Segment] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// deviceSegments lists the device types with visits on any day that can be segmented. Matomo's
// "Unknown" device type has no segment; its pageviews are the channel's remainder.
func deviceSegments(devices map[time.Time][]row) []string {
	seen := map[string]bool{}
	for _, rows := range devices {
		for _, r := range rows {
			if r.Visits.value > 0 && r.Segment != "" {
				seen[r.Segment] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// dayProblem is why a day's set was not stored.
type dayProblem struct {
	detail string
	// missingUniques: Matomo left out daily unique visitors, which is a config matter, not a
	// segment one.
	missingUniques bool
}

// dayRecords builds one day's channel × device set from what was fetched, or says why the
// figures do not add up. Cells of Matomo device types that share a canonical device (smartphone
// and phablet are both "mobile") are added together, as are channels that share a canonical one.
func dayRecords(site string, day time.Time, totals []row, totalViews metrics, channels []channelFigures, names *nameMapper) ([]figures.Record, *dayProblem) {
	type key struct{ channel, device string }
	cells := map[key]*figures.WebTrafficDay{}
	cell := func(channelSegment, deviceSegment string) *figures.WebTrafficDay {
		k := key{names.channel(channelSegment), names.device(deviceSegment)}
		if cells[k] == nil {
			cells[k] = &figures.WebTrafficDay{SiteID: site, Date: day, Channel: k.channel, Device: k.device}
		}
		return cells[k]
	}
	problem := func(missingUniques bool, format string, args ...any) *dayProblem {
		return &dayProblem{detail: days.Format(day) + ": " + fmt.Sprintf(format, args...), missingUniques: missingUniques}
	}

	channelVisits := map[string]uint64{}
	for _, r := range totals {
		channelVisits[r.Segment] += r.Visits.value
	}
	var channelViewsSum uint64
	for _, ch := range channels {
		var visits uint64
		for _, r := range ch.devices[day] {
			if r.Visits.value == 0 {
				continue // DevicesDetection.getType lists every device type, also those without visits
			}
			if !r.Uniques.set {
				return nil, problem(true, "%s, device %q: Matomo sent no nb_uniq_visitors", ch.segment, r.Label)
			}
			c := cell(ch.segment, r.Segment)
			c.Sessions += r.Visits.value
			c.Visitors += r.Uniques.value
			visits += r.Visits.value
		}
		if visits != channelVisits[ch.segment] {
			return nil, problem(false, "%s has %d visits, but its device split has %d", ch.segment, channelVisits[ch.segment], visits)
		}
		for _, r := range ch.newDevices[day] {
			if r.Visits.value == 0 {
				continue
			}
			if !r.Uniques.set {
				return nil, problem(true, "%s;%s, device %q: Matomo sent no nb_uniq_visitors", ch.segment, newVisitorsSegment, r.Label)
			}
			cell(ch.segment, r.Segment).NewVisitors += r.Uniques.value
		}
		// Pageviews count on the day they happened and visits on the day they ended, so a device
		// type may have pageviews on a day without visits; its cell then holds pageviews only.
		channelViews := ch.pageviews[day].Pageviews.value
		var segmentedViews uint64
		for _, device := range slices.Sorted(maps.Keys(ch.devicePageviews)) {
			views := ch.devicePageviews[device][day].Pageviews.value
			if views > 0 {
				cell(ch.segment, device).Pageviews += views
				segmentedViews += views
			}
		}
		if segmentedViews > channelViews {
			return nil, problem(false, "%s has %d pageviews, but its device types have %d", ch.segment, channelViews, segmentedViews)
		}
		if rest := channelViews - segmentedViews; rest > 0 {
			cell(ch.segment, "").Pageviews += rest
		}
		channelViewsSum += channelViews
	}
	if channelViewsSum != totalViews.Pageviews.value {
		return nil, problem(false, "the site has %d pageviews, but its channels have %d", totalViews.Pageviews.value, channelViewsSum)
	}

	keys := slices.SortedFunc(maps.Keys(cells), func(a, b key) int {
		return strings.Compare(a.channel+"\x00"+a.device, b.channel+"\x00"+b.device)
	})
	records := make([]figures.Record, 0, len(keys))
	for _, k := range keys {
		records = append(records, *cells[k])
	}
	return records, nil
}

// problemsError turns the days that were not stored into one error that says what to fix.
func (c *collector) problemsError(problems []dayProblem) error {
	if len(problems) == 0 {
		return nil
	}
	var details []string
	missingUniques, mismatched := false, false
	for i, p := range problems {
		if i < maxListedProblems {
			details = append(details, p.detail)
		}
		missingUniques = missingUniques || p.missingUniques
		mismatched = mismatched || !p.missingUniques
	}
	if len(problems) > maxListedProblems {
		details = append(details, fmt.Sprintf("and %d more days", len(problems)-maxListedProblems))
	}
	var fixes []string
	if mismatched {
		fixes = append(fixes, "the segmented reports do not add up to Matomo's totals, so Matomo did not process the segments for those days: "+
			"let it process segments in real time (browser_archiving_disabled_enforce = 0 in config/config.ini.php) and keep the raw visit logs of those days, then collect them again")
	}
	if missingUniques {
		fixes = append(fixes, "daily unique visitors are missing: set enable_processing_unique_visitors_day = 1 in config/config.ini.php")
	}
	return fmt.Errorf("matomo: id_site %d: %d days were not stored (%s); %s",
		c.idSite, len(problems), strings.Join(details, "; "), strings.Join(fixes, "; "))
}

// nameMapper maps Matomo segments onto canonical channels and devices, asking the shared table
// once per name so that an unknown name is logged once per run, not once per day.
type nameMapper struct {
	log      *slog.Logger
	campaign string
	channels map[string]string
	devices  map[string]string
}

func newNameMapper(log *slog.Logger, campaignChannel string) *nameMapper {
	return &nameMapper{log: log, campaign: campaignChannel, channels: map[string]string{}, devices: map[string]string{}}
}

// channel maps a referrer type by its segment value ("referrerType==search" → "search"), never by
// its label, which Matomo translates.
func (n *nameMapper) channel(segment string) string {
	if c, ok := n.channels[segment]; ok {
		return c
	}
	if c, ok := n.campaignChannelOf(segment); ok {
		n.channels[segment] = c
		return c
	}
	value, ok := segmentValue(segment, "referrerType")
	if !ok {
		value = segment
	}
	c := collectors.Channel("matomo", value, n.log)
	n.channels[segment] = c
	return c
}

// device maps a device type by its segment value ("deviceType==feature+phone" → "feature phone").
// Matomo's "Unknown" device type is the one row without a segment.
func (n *nameMapper) device(segment string) string {
	if segment == "" {
		return figures.DeviceOther
	}
	if d, ok := n.devices[segment]; ok {
		return d
	}
	value, ok := segmentValue(segment, "deviceType")
	if !ok {
		value = segment
	}
	d := collectors.Device("matomo", value, n.log)
	n.devices[segment] = d
	return d
}
