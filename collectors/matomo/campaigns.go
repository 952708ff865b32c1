package matomo

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const (
	campaignSegment = "referrerType==campaign"
	// mediumSegment starts the segment of one campaign medium; the medium follows, URL-encoded.
	// An empty medium selects the campaign visits that carried none.
	mediumSegment = campaignSegment + ";campaignMedium=="
)

// mediumChannels maps the campaign mediums people write in their tagged links (mtm_medium /
// utm_medium, which Matomo's MarketingCampaignsReporting plugin lowercases) onto the canonical
// channels. Any other medium, and campaign visits without one, take the campaign_channel setting.
var mediumChannels = map[string]string{
	"email": figures.ChannelEmail, "e-mail": figures.ChannelEmail, "e_mail": figures.ChannelEmail,
	"mail": figures.ChannelEmail, "newsletter": figures.ChannelEmail, "nyhetsbrev": figures.ChannelEmail,
	"social": figures.ChannelSocial, "social-media": figures.ChannelSocial, "social_media": figures.ChannelSocial,
	"socialmedia": figures.ChannelSocial, "sosiale medier": figures.ChannelSocial, "some": figures.ChannelSocial,
	"cpc": figures.ChannelPaid, "ppc": figures.ChannelPaid, "paid": figures.ChannelPaid, "paidsearch": figures.ChannelPaid,
	"paid-search": figures.ChannelPaid, "paid_search": figures.ChannelPaid, "paid-social": figures.ChannelPaid,
	"paid_social": figures.ChannelPaid, "paidsocial": figures.ChannelPaid, "display": figures.ChannelPaid,
	"banner": figures.ChannelPaid, "cpm": figures.ChannelPaid, "ads": figures.ChannelPaid,
}

// campaignsByMedium splits the campaign channel of totals by medium where Matomo reports it
// (MarketingCampaignsReporting.getMedium): the campaign row of each day becomes one row per medium
// with the medium's visits, plus one for the campaign visits without a medium, each with its own
// segment, so that the device split is fetched per medium and each medium is stored under its
// channel. Where Matomo does not report mediums (the plugin is not installed, asked once per
// process) or the mediums do not add up, totals come back unchanged and every campaign visit takes
// the campaign_channel setting.
func (c *collector) campaignsByMedium(ctx context.Context, window days.Range, totals map[time.Time][]row, sink *collectors.Sink) (map[time.Time][]row, error) {
	hasCampaigns := false
	for _, rows := range totals {
		for _, r := range rows {
			hasCampaigns = hasCampaigns || (r.Segment == campaignSegment && r.Visits.value > 0)
		}
	}
	if !hasCampaigns {
		return totals, nil
	}
	mediums, err := c.dailyRows(ctx, "MarketingCampaignsReporting.getMedium", window, "")
	if err != nil {
		if collectors.EndsRun(ctx, err) {
			return nil, err
		}
		if !unknownMethod(err.Error()) {
			sink.Note("matomo: campaign mediums could not be read, so campaign visits are stored as %s: %s", c.campaignChannel, collectors.HideEmailAddresses(err.Error()))
		}
		return totals, nil
	}
	split := make(map[time.Time][]row, len(totals))
	for day, rows := range totals {
		for _, r := range rows {
			if r.Segment != campaignSegment {
				split[day] = append(split[day], r)
				continue
			}
			rest := r.Visits.value
			for _, m := range mediums[day] {
				medium := strings.TrimSpace(m.Label)
				if m.Visits.value == 0 || medium == "" {
					continue
				}
				if m.Visits.value > rest {
					sink.Note("matomo: campaign mediums of %s add up to more visits than the campaigns had; campaign visits are stored as %s", days.Format(day), c.campaignChannel)
					return totals, nil
				}
				rest -= m.Visits.value
				split[day] = append(split[day], row{Label: r.Label, Segment: mediumSegment + url.QueryEscape(medium), Visits: m.Visits, Uniques: m.Uniques})
			}
			if rest > 0 {
				split[day] = append(split[day], row{Label: r.Label, Segment: mediumSegment, Visits: count{value: rest, set: true}})
			}
		}
	}
	return split, nil
}

// campaignChannelOf maps a campaign segment, with or without a medium, to its channel.
func (n *nameMapper) campaignChannelOf(segment string) (string, bool) {
	if segment == campaignSegment {
		return n.campaign, true
	}
	encoded, ok := strings.CutPrefix(segment, mediumSegment)
	if !ok {
		return "", false
	}
	medium, err := url.QueryUnescape(encoded)
	if err != nil {
		return n.campaign, true
	}
	if ch, ok := mediumChannels[strings.ToLower(strings.TrimSpace(medium))]; ok {
		return ch, true
	}
	return n.campaign, true
}
