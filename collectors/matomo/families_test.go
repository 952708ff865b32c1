package matomo

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// wantTrafficByChannel is what the world gives when the device split is refused: each channel's
// figures under device "other".
func (w *world) wantTrafficByChannel(site string, window days.Range) map[trafficKey]figures.WebTrafficDay {
	out := map[trafficKey]figures.WebTrafficDay{}
	window.Each(func(day time.Time) {
		for _, c := range w.days[day] {
			k := trafficKey{day, wantChannel[c.referrer], figures.DeviceOther}
			r := out[k]
			r.SiteID, r.Date, r.Channel, r.Device = site, day, k.channel, k.device
			r.Sessions += c.visits
			r.Visitors += c.uniques
			r.NewVisitors += c.newUniques
			r.Pageviews += c.pageviews
			out[k] = r
		}
	})
	return out
}

// refusal is one way Matomo refuses a method.
type refusal struct {
	name  string
	write func(w http.ResponseWriter, method string)
	// says is what the run's note must quote of it.
	says string
}

var refusals = []refusal{
	{"404", func(w http.ResponseWriter, _ string) {
		writeJSON(w, http.StatusNotFound, map[string]string{"result": "error", "message": "Not Found"})
	}, "HTTP 404"},
	{"400", func(w http.ResponseWriter, m string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"result": "error", "message": "The method '" + m + "' does not exist or is not available in the module 'API'."})
	}, "does not exist"},
	{"500", func(w http.ResponseWriter, _ string) {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"result": "error", "message": "Mysqli statement execute error"})
	}, "HTTP 500"},
	{"malformed 200", func(w http.ResponseWriter, _ string) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"2022-03-29": [{"label": "Direkte trafikk", "nb_vis`))
	}, "malformed JSON"},
	{"unknown method 200", func(w http.ResponseWriter, m string) {
		writeJSON(w, http.StatusOK, map[string]string{"result": "error", "message": "The method '" + m + "' does not exist or is not available in the module 'API'."})
	}, "does not exist"},
}

// TestEachRefusedMethodFailsItsFamilyOnly refuses each Reporting API method in turn, in each way
// Matomo refuses, and checks that every other family is stored, the run is partial (an error
// with records) and a note names the family and what Matomo said.
func TestEachRefusedMethodFailsItsFamilyOnly(t *testing.T) {
	w, window, now := faultWorld()
	wantPeriods := w.wantPeriods(window, false, false)
	if len(wantPeriods) == 0 {
		t.Fatal("the window should complete a month")
	}
	for _, tc := range []struct {
		method, family string
		// what is still stored: traffic (full, by channel only, none), periods' figures, pages, titles.
		traffic                               string
		visitors, newReturning, pages, titles bool
	}{
		{"Referrers.getReferrerType", "daily traffic", "none", true, true, true, true},
		{"Actions.get", "daily traffic", "none", true, true, true, true},
		{"DevicesDetection.getType", "daily traffic", "by channel", true, true, true, true},
		{"VisitsSummary.get", "period unique visitors", "full", false, true, true, true},
		{"VisitFrequency.get", "new vs returning visitors", "full", true, false, true, true},
		{"Actions.getPageUrls", "top pages", "full", true, true, false, false},
		{"Actions.getPageTitles", "page titles", "full", true, true, true, false},
	} {
		for _, ref := range refusals {
			t.Run(tc.method+" "+ref.name, func(t *testing.T) {
				f := newFake(t, w)
				f.setIntercept(func(_ int, rw http.ResponseWriter, r *http.Request) bool {
					if r.URL.Query().Get("method") != tc.method {
						return false
					}
					ref.write(rw, tc.method)
					return true
				})
				c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
				got := collect(t, c, window)
				if got.err == nil {
					t.Fatal("a refused method must make the run partial")
				}
				note := strings.Join(got.notes, "\n")
				if !strings.Contains(note, tc.family) || !strings.Contains(note, tc.method) || !strings.Contains(note, ref.says) {
					t.Errorf("notes %q should name %q, %s and %q", got.notes, tc.family, tc.method, ref.says)
				}
				switch tc.traffic {
				case "full":
					compareTraffic(t, got.traffic, w.wantTraffic(testSite, window))
				case "by channel":
					compareTraffic(t, got.traffic, w.wantTrafficByChannel(testSite, window))
					if !strings.Contains(note, "daily traffic stored in part") {
						t.Errorf("notes %q should say the traffic was stored by channel only", got.notes)
					}
				default:
					if len(got.traffic) != 0 {
						t.Errorf("stored %d traffic rows without the method", len(got.traffic))
					}
				}
				var want []figures.WebVisitorsPeriod
				for _, p := range wantPeriods {
					if !tc.visitors {
						p.Visitors = nil
					}
					if !tc.newReturning {
						p.NewVisitors, p.ReturningVisitors = nil, nil
					}
					want = append(want, p)
				}
				comparePeriods(t, got.periods, want)
				switch {
				case !tc.pages && len(got.pages) != 0:
					t.Errorf("stored %d pages", len(got.pages))
				case tc.pages && len(got.pages) != topPagesPerMonth:
					t.Errorf("stored %d pages, want %d", len(got.pages), topPagesPerMonth)
				}
				titled := 0
				for _, p := range got.pages {
					if p.Title != "" {
						titled++
					}
				}
				if tc.titles != (titled > 0) {
					t.Errorf("%d of %d pages titled", titled, len(got.pages))
				}
				assertNoSecret(t, got.err, logs)
			})
		}
	}
}

// TestMethodMatomoDoesNotOfferIsAskedOnce: a method Matomo says does not exist (a plugin switched
// off) is not asked again in the later steps of a backfill; each step still notes it.
func TestMethodMatomoDoesNotOfferIsAskedOnce(t *testing.T) {
	w := newWorld(days.Date(2022, 1, 1), days.Date(2022, 7, 1), 8)
	f := newFake(t, w)
	f.setIntercept(func(_ int, rw http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("method") != "VisitFrequency.get" {
			return false
		}
		writeJSON(rw, http.StatusOK, map[string]string{"result": "error", "message": "The method 'get' does not exist or is not available in the module 'VisitFrequency'."})
		return true
	})
	c, _ := newTestCollector(t, startFake(t, f).URL, time.Date(2023, 3, 1, 12, 0, 0, 0, collectortest.Oslo), nil)
	for i, step := range (days.Range{From: days.Date(2022, 1, 1), To: days.Date(2022, 6, 30)}).Chunks(31) {
		got := collect(t, c, step)
		note := strings.Join(got.notes, "\n")
		if got.err == nil || !strings.Contains(note, "new vs returning visitors not stored") || len(got.periods) == 0 {
			t.Errorf("step %s: err %v, notes %q, %d periods; want the month's uniques stored and the split noted", step, got.err, got.notes, len(got.periods))
		}
		if i > 0 && !strings.Contains(note, "not asked again") {
			t.Errorf("step %s: notes %q should say the method was not asked again", step, got.notes)
		}
	}
	asked := 0
	for _, q := range f.calls() {
		if q.Get("method") == "VisitFrequency.get" {
			asked++
		}
	}
	if asked != 1 {
		t.Errorf("VisitFrequency.get asked %d times in six steps, want once", asked)
	}
}

// TestCampaignsSplitByMedium: where Matomo reports campaign mediums (MarketingCampaignsReporting),
// each medium is stored under its channel (newsletters as e-mail, social posts as social, ads as
// paid) and campaign visits without a medium under campaign_channel; the days still add up.
func TestCampaignsSplitByMedium(t *testing.T) {
	w, window, now := faultWorld()
	f := newFake(t, w)
	f.mediums = true
	s := collectortest.Settings(t, "matomo", fmt.Sprintf("site: %s\nbase_url: %s/\nid_site: %d\ntoken: %s\ncampaign_channel: other\n",
		testSite, startFake(t, f).URL, testIDSite, testToken), nil)
	s.Now = func() time.Time { return now }
	c, err := newCollector(s, func(o *collectors.HTTPOptions) { o.RequestsPerSecond, o.Burst = 1e6, 1000 })
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, c, window)
	if got.err != nil {
		t.Fatal(got.err)
	}
	byMedium := map[string]string{"email": figures.ChannelEmail, "newsletter": figures.ChannelEmail, "social": figures.ChannelSocial,
		"cpc": figures.ChannelPaid, "": figures.ChannelOther}
	want := map[trafficKey]figures.WebTrafficDay{}
	mediums := map[string]bool{}
	window.Each(func(day time.Time) {
		for _, cell := range w.days[day] {
			channel := wantChannel[cell.referrer]
			if cell.referrer == "campaign" {
				channel = byMedium[cell.medium]
				mediums[cell.medium] = true
			}
			k := trafficKey{day, channel, wantDevice[cell.device]}
			r := want[k]
			r.SiteID, r.Date, r.Channel, r.Device = testSite, day, k.channel, k.device
			r.Sessions += cell.visits
			r.Visitors += cell.uniques
			r.NewVisitors += cell.newUniques
			r.Pageviews += cell.pageviews
			want[k] = r
		}
	})
	if len(mediums) < 3 {
		t.Fatalf("the window's campaign visits carry only the mediums %v", mediums)
	}
	compareTraffic(t, got.traffic, want)
	for _, q := range f.calls() {
		if q.Get("period") == "day" && q.Get("filter_limit") != "-1" {
			t.Errorf("%s asked without filter_limit=-1: a day's rows beyond 100 would be cut", q.Get("method"))
		}
	}

	t.Run("without the plugin every campaign visit takes campaign_channel, and getMedium is asked once", func(t *testing.T) {
		f := newFake(t, w)
		c, _ := newTestCollector(t, startFake(t, f).URL, now, nil)
		for range 3 {
			if got := collect(t, c, window); got.err != nil {
				t.Fatal(got.err)
			}
		}
		compareTraffic(t, collect(t, c, window).traffic, w.wantTraffic(testSite, window))
		asked := 0
		for _, q := range f.calls() {
			if q.Get("method") == "MarketingCampaignsReporting.getMedium" {
				asked++
			}
		}
		if asked != 1 {
			t.Errorf("getMedium asked %d times by one process, want once", asked)
		}
	})
}
