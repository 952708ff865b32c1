// Package registry is the one explicit list of source types the binary knows.
package registry

import (
	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/facebook"
	"github.com/innomed/rekkevidde/collectors/feeds"
	"github.com/innomed/rekkevidde/collectors/ga4"
	"github.com/innomed/rekkevidde/collectors/instagram"
	"github.com/innomed/rekkevidde/collectors/linkedin"
	"github.com/innomed/rekkevidde/collectors/mailchimp"
	"github.com/innomed/rekkevidde/collectors/matomo"
	"github.com/innomed/rekkevidde/collectors/plausible"
	"github.com/innomed/rekkevidde/collectors/teams"
	"github.com/innomed/rekkevidde/collectors/zoom"
)

// All returns every source type, keyed by the name used as `type:` in the config.
func All() collectors.Registry {
	reg := collectors.Registry{}
	for _, k := range []collectors.Kind{
		facebook.Kind(),
		feeds.Kind(),
		ga4.Kind(),
		instagram.Kind(),
		linkedin.Kind(),
		mailchimp.Kind(),
		matomo.Kind(),
		plausible.Kind(),
		teams.Kind(),
		zoom.Kind(),
	} {
		reg[k.Name] = k
	}
	return reg
}
