// Package figures defines the records collectors, imports and the entry form produce, one type per
// table, and how each maps onto its columns. They hold counts only: no type here has room for a
// name or an e-mail address, so personal data cannot reach ClickHouse through them.
package figures

import "time"

// Record is one row for one table. Values follow Columns; the writer appends source and version.
type Record interface {
	Table() string
	Columns() []string
	Values() []any
}

// Canonical channels. Each provider's own names are mapped onto these in collectors/channels.go.
const (
	ChannelOrganicSearch = "organic_search"
	ChannelDirect        = "direct"
	ChannelSocial        = "social"
	ChannelReferral      = "referral"
	ChannelEmail         = "email"
	ChannelPaid          = "paid"
	ChannelOther         = "other"
)

// Channels lists the canonical channels in display order.
func Channels() []string {
	return []string{ChannelOrganicSearch, ChannelDirect, ChannelSocial, ChannelReferral, ChannelEmail, ChannelPaid, ChannelOther}
}

// Canonical devices.
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
	DeviceOther   = "other"
)

// Devices lists the canonical devices in display order.
func Devices() []string { return []string{DeviceDesktop, DeviceMobile, DeviceTablet, DeviceOther} }

// Platforms for social media.
const (
	PlatformFacebook  = "facebook"
	PlatformInstagram = "instagram"
	PlatformLinkedIn  = "linkedin"
)

// WebTrafficDay is one site's traffic on one day through one channel on one device. A collection
// always writes a day's complete channel × device set: reads keep the newest set per (site, day).
type WebTrafficDay struct {
	SiteID      string
	Date        time.Time
	Channel     string
	Device      string
	Visitors    uint64
	Sessions    uint64
	Pageviews   uint64
	NewVisitors uint64
}

func (WebTrafficDay) Table() string { return "web_traffic_daily" }
func (WebTrafficDay) Columns() []string {
	return []string{"site_id", "date", "channel", "device", "visitors", "sessions", "pageviews", "new_visitors"}
}
func (r WebTrafficDay) Values() []any {
	return []any{r.SiteID, r.Date, r.Channel, r.Device, r.Visitors, r.Sessions, r.Pageviews, r.NewVisitors}
}

// WebVisitorsPeriod holds the provider's own deduplicated figures for a whole month, quarter or
// year. A nil field is one the provider could not give; it is stored as NULL, never estimated.
type WebVisitorsPeriod struct {
	SiteID            string
	Period            string
	PeriodStart       time.Time
	PeriodEnd         time.Time
	Visitors          *uint64
	NewVisitors       *uint64
	ReturningVisitors *uint64
}

func (WebVisitorsPeriod) Table() string { return "web_visitors_period" }
func (WebVisitorsPeriod) Columns() []string {
	return []string{"site_id", "period", "period_start", "period_end", "visitors", "new_visitors", "returning_visitors"}
}
func (r WebVisitorsPeriod) Values() []any {
	return []any{r.SiteID, r.Period, r.PeriodStart, r.PeriodEnd, r.Visitors, r.NewVisitors, r.ReturningVisitors}
}

// TopPage is one page's views in one month. A collection writes the month's whole list.
type TopPage struct {
	SiteID    string
	Month     time.Time
	Path      string
	Title     string
	Pageviews uint64
}

func (TopPage) Table() string     { return "web_top_pages" }
func (TopPage) Columns() []string { return []string{"site_id", "month", "path", "title", "pageviews"} }
func (r TopPage) Values() []any   { return []any{r.SiteID, r.Month, r.Path, r.Title, r.Pageviews} }

// FollowersDay is a platform account's follower count on a day, with the day's gross follows and
// unfollows where the platform reports them.
type FollowersDay struct {
	Platform  string
	AccountID string
	Date      time.Time
	Followers uint64
	Follows   *uint64
	Unfollows *uint64
}

func (FollowersDay) Table() string { return "social_followers_daily" }
func (FollowersDay) Columns() []string {
	return []string{"platform", "account_id", "date", "followers", "follows", "unfollows"}
}
func (r FollowersDay) Values() []any {
	return []any{r.Platform, r.AccountID, r.Date, r.Followers, r.Follows, r.Unfollows}
}

// Reach is the people a platform account reached in a period, as the platform counts them for that
// whole period ("day", "month", "quarter" or "year"); reach of different periods is not additive.
type Reach struct {
	Platform    string
	AccountID   string
	Period      string
	PeriodStart time.Time
	PeriodEnd   time.Time
	Reach       uint64
	Impressions *uint64
}

func (Reach) Table() string { return "social_reach" }
func (Reach) Columns() []string {
	return []string{"platform", "account_id", "period", "period_start", "period_end", "reach", "impressions"}
}
func (r Reach) Values() []any {
	return []any{r.Platform, r.AccountID, r.Period, r.PeriodStart, r.PeriodEnd, r.Reach, r.Impressions}
}

// SubscribersDay is a newsletter list's size on a day.
type SubscribersDay struct {
	ListID       string
	Date         time.Time
	Subscribers  uint64
	Unsubscribed uint64
	Cleaned      uint64
}

func (SubscribersDay) Table() string { return "newsletter_subscribers_daily" }
func (SubscribersDay) Columns() []string {
	return []string{"list_id", "date", "subscribers", "unsubscribed", "cleaned"}
}
func (r SubscribersDay) Values() []any {
	return []any{r.ListID, r.Date, r.Subscribers, r.Unsubscribed, r.Cleaned}
}

// Campaign is one newsletter send's report. Counts are stored; rates are computed in the query
// layer (click rate = unique clicks / delivered) and shown next to the provider's own figures.
type Campaign struct {
	ListID            string
	CampaignID        string
	Title             string
	Subject           string
	SendTime          time.Time
	EmailsSent        uint64
	Delivered         uint64
	UniqueOpens       uint64
	UniqueClicks      uint64
	Unsubscribed      uint64
	HardBounces       uint64
	SoftBounces       uint64
	ProviderOpenRate  *float64 // fraction 0–1
	ProviderClickRate *float64 // fraction 0–1
}

func (Campaign) Table() string { return "newsletter_campaigns" }
func (Campaign) Columns() []string {
	return []string{"list_id", "campaign_id", "title", "subject", "send_time", "emails_sent", "delivered",
		"unique_opens", "unique_clicks", "unsubscribed", "hard_bounces", "soft_bounces",
		"provider_open_rate", "provider_click_rate"}
}
func (r Campaign) Values() []any {
	return []any{r.ListID, r.CampaignID, r.Title, r.Subject, r.SendTime.UTC(), r.EmailsSent, r.Delivered,
		r.UniqueOpens, r.UniqueClicks, r.Unsubscribed, r.HardBounces, r.SoftBounces,
		r.ProviderOpenRate, r.ProviderClickRate}
}

// Event kinds.
const (
	KindWebinar              = "webinar"
	KindNetworkMeeting       = "network_meeting"
	KindNationalMeetingPlace = "national_meeting_place"
	KindCourse               = "course"
	KindConference           = "conference"
	KindOther                = "other"
)

// EventKinds lists the kinds in display order.
func EventKinds() []string {
	return []string{KindWebinar, KindNetworkMeeting, KindNationalMeetingPlace, KindCourse, KindConference, KindOther}
}

// Event is one webinar, meeting, course or conference with its attendance counts. A nil count is
// unknown or not applicable (a webinar has no on-site attendance), which is not the same as zero.
type Event struct {
	AccountID       string
	EventID         string
	Kind            string
	Title           string
	StartsAt        time.Time
	EndsAt          *time.Time
	Registered      *uint32
	AttendedOnSite  *uint32
	AttendedDigital *uint32
	Deleted         bool
}

func (Event) Table() string { return "events" }
func (Event) Columns() []string {
	return []string{"account_id", "event_id", "kind", "title", "starts_at", "ends_at", "registered",
		"attended_on_site", "attended_digital", "deleted"}
}
func (r Event) Values() []any {
	var ends *time.Time
	if r.EndsAt != nil {
		u := r.EndsAt.UTC()
		ends = &u
	}
	deleted := uint8(0)
	if r.Deleted {
		deleted = 1
	}
	return []any{r.AccountID, r.EventID, r.Kind, r.Title, r.StartsAt.UTC(), ends, r.Registered,
		r.AttendedOnSite, r.AttendedDigital, deleted}
}

// Sectors, derived from e-mail domains at collection time; only these counts are kept.
const (
	SectorMunicipality            = "municipality"
	SectorHealthTrust             = "health_trust"
	SectorRegionalHealthAuthority = "regional_health_authority"
	SectorKS                      = "ks"
	// SectorOther is a known organisation outside the sectors above (a company, gmail).
	SectorOther = "other"
	// SectorUnknown is a person with no address at all (anonymous, or external without an e-mail
	// address): kept apart from SectorOther so "we do not know who this was" is not read as "not
	// from the public health sector".
	SectorUnknown = "unknown"
)

// Sectors lists the sectors in display order.
func Sectors() []string {
	return []string{SectorMunicipality, SectorHealthTrust, SectorRegionalHealthAuthority, SectorKS, SectorOther, SectorUnknown}
}

// EventSector counts one event's registrants and attendees from one sector. A collection writes the
// event's whole sector set.
type EventSector struct {
	AccountID  string
	EventID    string
	Sector     string
	Registered uint32
	Attended   uint32
}

func (EventSector) Table() string { return "event_attendance_by_sector" }
func (EventSector) Columns() []string {
	return []string{"account_id", "event_id", "sector", "registered", "attended"}
}
func (r EventSector) Values() []any {
	return []any{r.AccountID, r.EventID, r.Sector, r.Registered, r.Attended}
}

// Publication is one item of a configured feed. A zero PublishedAt is an item without a
// publication date: it is stored as published_at = 1970-01-01 00:00:00 UTC (the column's zero,
// which no real item has: feeds' dates before 1971 are treated as missing), so that it counts in
// no month; it is never stored as published on the day it was first seen.
type Publication struct {
	FeedID      string
	ItemKey     string
	Title       string
	Link        string
	PublishedAt time.Time
	Category    string
	FirstSeen   time.Time
}

// Dated tells whether the item has a publication date.
func (r Publication) Dated() bool { return !r.PublishedAt.IsZero() && r.PublishedAt.Unix() != 0 }

func (Publication) Table() string { return "publications" }
func (Publication) Columns() []string {
	return []string{"feed_id", "item_key", "title", "link", "published_at", "category", "first_seen"}
}
func (r Publication) Values() []any {
	published := r.PublishedAt.UTC()
	if !r.Dated() {
		published = time.Unix(0, 0).UTC()
	}
	return []any{r.FeedID, r.ItemKey, r.Title, r.Link, published, r.Category, r.FirstSeen.UTC()}
}

// Credential records when a source's credential expires, for the health view ("expires in N days").
// A nil time is unknown or never.
type Credential struct {
	Name             string
	ExpiresAt        *time.Time
	RefreshExpiresAt *time.Time
	CheckedAt        time.Time
}

func (Credential) Table() string { return "credentials" }
func (Credential) Columns() []string {
	return []string{"credential", "expires_at", "refresh_expires_at", "checked_at"}
}
func (r Credential) Values() []any {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	return []any{r.Name, utc(r.ExpiresAt), utc(r.RefreshExpiresAt), r.CheckedAt.UTC()}
}
