package collectors

import (
	"log/slog"
	"strings"

	"github.com/innomed/rekkevidde/internal/figures"
)

// channelNames maps each provider's channel names (lower-cased) to the canonical channel set. It
// is the one table to read when a figure lands in an unexpected channel.
//
//	GA4 sessionDefaultChannelGroup: support.google.com/analytics/answer/9756891
//	Plausible visit:channel: the acquisition_channel UDF (no "Unassigned"; "Direct" is its fallback)
//	Matomo referrer types (by segment referrerType==…, since labels are translated)
var channelNames = map[string]map[string]string{
	"ga4": {
		"organic search":            figures.ChannelOrganicSearch,
		"organic shopping":          figures.ChannelOrganicSearch,
		"direct":                    figures.ChannelDirect,
		"organic social":            figures.ChannelSocial,
		"organic video":             figures.ChannelSocial,
		"referral":                  figures.ChannelReferral,
		"email":                     figures.ChannelEmail,
		"paid search":               figures.ChannelPaid,
		"paid social":               figures.ChannelPaid,
		"paid shopping":             figures.ChannelPaid,
		"paid video":                figures.ChannelPaid,
		"paid other":                figures.ChannelPaid,
		"display":                   figures.ChannelPaid,
		"cross-network":             figures.ChannelPaid,
		"affiliates":                figures.ChannelReferral,
		"audio":                     figures.ChannelOther,
		"sms":                       figures.ChannelOther,
		"mobile push notifications": figures.ChannelOther,
		"unassigned":                figures.ChannelOther,
		"(not set)":                 figures.ChannelOther,
	},
	"plausible": {
		"organic search":            figures.ChannelOrganicSearch,
		"organic shopping":          figures.ChannelOrganicSearch,
		"direct":                    figures.ChannelDirect,
		"organic social":            figures.ChannelSocial,
		"organic video":             figures.ChannelSocial,
		"referral":                  figures.ChannelReferral,
		"affiliates":                figures.ChannelReferral,
		"email":                     figures.ChannelEmail,
		"paid search":               figures.ChannelPaid,
		"paid social":               figures.ChannelPaid,
		"paid shopping":             figures.ChannelPaid,
		"paid video":                figures.ChannelPaid,
		"paid other":                figures.ChannelPaid,
		"display":                   figures.ChannelPaid,
		"cross-network":             figures.ChannelPaid,
		"audio":                     figures.ChannelOther,
		"sms":                       figures.ChannelOther,
		"mobile push notifications": figures.ChannelOther,
	},
	// Matomo: keys are the referrerType segment values.
	"matomo": {
		"search":  figures.ChannelOrganicSearch,
		"direct":  figures.ChannelDirect,
		"social":  figures.ChannelSocial,
		"website": figures.ChannelReferral,
		// Matomo's "Campaigns" are visits from tagged links (mtm_/utm_ parameters), which are
		// newsletters far more often than ads for an organisation like InnoMed; the matomo source's
		// campaign_channel setting overrides this (see collectors/matomo/README.md).
		"campaign": figures.ChannelEmail,
		"ai":       figures.ChannelReferral,
	},
}

// deviceNames maps provider device categories (lower-cased) to the canonical device set.
var deviceNames = map[string]map[string]string{
	"ga4": {
		"desktop":   figures.DeviceDesktop,
		"mobile":    figures.DeviceMobile,
		"tablet":    figures.DeviceTablet,
		"smart tv":  figures.DeviceOther,
		"(not set)": figures.DeviceOther,
	},
	"plausible": {
		"desktop":   figures.DeviceDesktop,
		"laptop":    figures.DeviceDesktop,
		"mobile":    figures.DeviceMobile,
		"tablet":    figures.DeviceTablet,
		"(not set)": figures.DeviceOther,
	},
	// Matomo: keys are the deviceType segment values (DevicesDetection.getType).
	"matomo": {
		"desktop":         figures.DeviceDesktop,
		"smartphone":      figures.DeviceMobile,
		"phablet":         figures.DeviceMobile,
		"feature phone":   figures.DeviceMobile,
		"feature+phone":   figures.DeviceMobile,
		"feature%20phone": figures.DeviceMobile,
		"tablet":          figures.DeviceTablet,
	},
}

// Channel maps a provider's channel name to a canonical channel. An unknown name maps to "other"
// and is logged, never dropped, so totals always add up.
func Channel(provider, name string, log *slog.Logger) string {
	return canonical(channelNames, provider, name, figures.ChannelOther, "channel", log)
}

// Device maps a provider's device category to a canonical device, unknown ones to "other".
func Device(provider, name string, log *slog.Logger) string {
	return canonical(deviceNames, provider, name, figures.DeviceOther, "device", log)
}

func canonical(table map[string]map[string]string, provider, name, fallback, what string, log *slog.Logger) string {
	if c, ok := table[provider][strings.ToLower(strings.TrimSpace(name))]; ok {
		return c
	}
	if log != nil {
		log.Warn("unknown "+what+" name mapped to "+fallback, "provider", provider, what, name)
	}
	return fallback
}
