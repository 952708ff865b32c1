package plausible

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
)

// TestEachRefusedQueryFailsItsFamilyOnly refuses each of the collector's queries in turn, in each
// way Plausible or a proxy refuses, and checks that every other family is stored, the run is
// partial (an error with records) and a note names the family and what went wrong. A refused
// top-pages query in particular must not stop the month, quarter and year unique visitors.
func TestEachRefusedQueryFailsItsFamilyOnly(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, collectortest.Oslo)
	// The window completes March's neighbour months: December 2025 holds a month, a quarter and a year.
	w := window(t, "2025-12-01", "2025-12-31")
	refusals := []struct {
		name  string
		write func(http.ResponseWriter)
		says  string
	}{
		{"404", func(rw http.ResponseWriter) { plausibleError(rw, http.StatusNotFound, "Not found") }, "HTTP 404"},
		{"400", func(rw http.ResponseWriter) {
			plausibleError(rw, http.StatusBadRequest, "Invalid dimensions '[\"event:page\"]'. The dimension `event:page` is not supported.")
		}, "HTTP 400"},
		{"500", func(rw http.ResponseWriter) {
			plausibleError(rw, http.StatusInternalServerError, "Internal server error")
		}, "HTTP 500"},
		{"malformed 200", func(rw http.ResponseWriter) {
			rw.Header().Set("Content-Type", "application/json")
			_, _ = rw.Write([]byte(`{"results": [{"metrics": [12`))
		}, "malformed JSON"},
	}
	for _, tc := range []struct {
		kind, family string
		// how many of each record kind stay stored
		days, periods, pages bool
	}{
		{"daily", "daily traffic", false, true, true},
		{"period", "period unique visitors", true, false, true},
		{"pages", "top pages", true, true, false},
	} {
		for _, ref := range refusals {
			t.Run(tc.kind+" "+ref.name, func(t *testing.T) {
				f := newFake(t)
				f.fill(days.Date(2025, 11, 20), days.Date(2026, 3, 15), 90)
				f.setPages(days.Date(2025, 12, 1), 6000, 60)
				f.intercept = func(_ int, req fakeRequest, rw http.ResponseWriter) bool {
					if req.kind() != tc.kind {
						return false
					}
					ref.write(rw)
					return true
				}
				c := newTestCollector(t, f, f.server().URL, testOpts{now: now})
				sink, err := collect(t, c, w)
				if err == nil || collectors.EndsRun(context.Background(), err) {
					t.Fatalf("err = %v, want a failed family that leaves the run partial", err)
				}
				notes := strings.Join(sink.Notes(), "\n")
				if !strings.Contains(notes, tc.family+" not stored") || !strings.Contains(notes, ref.says) {
					t.Errorf("notes %q should name %q and say %q", sink.Notes(), tc.family, ref.says)
				}
				today := days.Of(now, collectortest.Oslo)
				wantDays := expectedDays(f, w, today)
				if !tc.days {
					wantDays = nil
				}
				sameLines(t, "daily traffic", recordLines(sink.Records(), dayLine), wantDays)
				periods := len(recordLines(sink.Records(), periodLine))
				if want := map[bool]int{true: 3, false: 0}[tc.periods]; periods != want {
					t.Errorf("%d period rows, want %d (December, Q4, 2025)", periods, want)
				}
				wantPages := expectedPages(f, days.Date(2025, 12, 1))
				if !tc.pages {
					wantPages = nil
				}
				sameLines(t, "top pages", recordLines(sink.Records(), pageLine), wantPages)
			})
		}
	}
}

// TestTopPagesPageToTheEnd reads a month's top pages in pages of five.
func TestTopPagesPageToTheEnd(t *testing.T) {
	f := newFake(t)
	f.fill(days.Date(2025, 12, 1), days.Date(2025, 12, 31), 40)
	f.setPages(days.Date(2025, 12, 1), 6000, 60)
	c := newTestCollector(t, f, f.server().URL, testOpts{})
	c.pageSize = 5
	sink, err := collect(t, c, window(t, "2025-12-01", "2025-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, "top pages", recordLines(sink.Records(), pageLine), expectedPages(f, days.Date(2025, 12, 1)))
	pages := f.requestsOf("pages")
	if len(pages) != topPagesPerMonth/5 {
		t.Fatalf("%d top-page requests, want %d pages of 5", len(pages), topPagesPerMonth/5)
	}
	for i, r := range pages {
		if r.Pagination == nil || r.Pagination.Limit != 5 || r.Pagination.Offset != 5*i {
			t.Errorf("page %d asked %+v", i, r.Pagination)
		}
	}
	daily := f.requestsOf("daily")
	rows := 0
	window(t, "2025-12-01", "2025-12-31").Each(func(d time.Time) { rows += len(f.rows[d]) })
	if len(daily) != (rows+4)/5 {
		t.Errorf("%d daily requests for %d rows in pages of 5", len(daily), rows)
	}
}

// TestQueryWithAnUnknownDimensionIsAskedOnce: a query Plausible rejects for a dimension it does
// not offer is not sent again in the later steps of a backfill; each step notes it.
func TestQueryWithAnUnknownDimensionIsAskedOnce(t *testing.T) {
	f := newFake(t)
	f.fill(days.Date(2025, 1, 1), days.Date(2025, 6, 30), 50)
	refused := 0
	f.intercept = func(_ int, req fakeRequest, rw http.ResponseWriter) bool {
		if req.kind() != "pages" {
			return false
		}
		refused++
		plausibleError(rw, http.StatusBadRequest, "Invalid dimensions '[\"event:page\"]'. The dimension `event:page` is not supported on this instance.")
		return true
	}
	c := newTestCollector(t, f, f.server().URL, testOpts{})
	for i, step := range (days.Range{From: days.Date(2025, 1, 1), To: days.Date(2025, 6, 30)}).Chunks(Kind().ChunkDays) {
		sink, err := collect(t, c, step)
		notes := strings.Join(sink.Notes(), "\n")
		if err == nil || !strings.Contains(notes, "top pages not stored") || len(recordLines(sink.Records(), periodLine)) == 0 {
			t.Errorf("step %s: err %v, notes %q", step, err, sink.Notes())
		}
		if i > 0 && !strings.Contains(notes, "not asked again") {
			t.Errorf("step %s: notes %q should say the query was not sent again", step, sink.Notes())
		}
	}
	if refused != 1 {
		t.Errorf("the refused query was sent %d times in six steps, want once", refused)
	}
}
