package ga4

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// recordLines writes records as sorted lines, so that runs compare as text.
func recordLines(records []figures.Record) []string {
	var out []string
	for _, r := range records {
		switch v := r.(type) {
		case figures.WebVisitorsPeriod:
			show := func(p *uint64) string {
				if p == nil {
					return "nil"
				}
				return fmt.Sprint(*p)
			}
			out = append(out, fmt.Sprintf("period %s %s visitors=%s new=%s returning=%s", v.Period, days.Format(v.PeriodStart),
				show(v.Visitors), show(v.NewVisitors), show(v.ReturningVisitors)))
		default:
			out = append(out, fmt.Sprintf("%T %+v", r, r))
		}
	}
	slices.Sort(out)
	return out
}

// TestEachRefusedReportFailsItsFamilyOnly refuses each report in turn (404, 400, 500, malformed
// 200) and compares with a clean run: only the refused family's figures are missing, the run is
// partial and a note names the family and GA's message.
func TestEachRefusedReportFailsItsFamilyOnly(t *testing.T) {
	w := window("2025-12-01", "2025-12-31") // completes December, the fourth quarter and 2025
	clean := func() []figures.Record {
		f := newFakeGA(t)
		c, _ := newTestCollector(t, f, "", fastOptions())
		return mustCollect(t, c, w).Records()
	}()
	refusals := map[string]struct {
		answer func(f *fakeGA) *fakeAnswer
		says   string
	}{
		"404": {func(*fakeGA) *fakeAnswer {
			return &fakeAnswer{status: http.StatusNotFound, body: []byte(`{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}`)}
		}, "Requested entity was not found"},
		"400": {func(*fakeGA) *fakeAnswer {
			return badRequest("Field newVsReturning is not a valid dimension. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema")
		}, "is not a valid dimension"},
		"500": {func(f *fakeGA) *fakeAnswer {
			return f.fixtureAnswer(http.StatusInternalServerError, "error_500_internal.json")
		}, "Internal error encountered"},
		"malformed 200": {func(*fakeGA) *fakeAnswer {
			return &fakeAnswer{body: []byte(`{"dimensionHeaders":[{"name":"date"}],"rows":[{"dimension`)}
		}, "malformed JSON"},
	}
	for _, tc := range []struct {
		dims, family string
		// keep decides which of the clean run's lines stay.
		keep func(line string) (string, bool)
	}{
		{trafficDims, "daily traffic", func(l string) (string, bool) { return l, !strings.HasPrefix(l, "figures.WebTrafficDay") }},
		{"", "period unique visitors", func(l string) (string, bool) {
			if !strings.HasPrefix(l, "period ") {
				return l, true
			}
			before, rest, _ := strings.Cut(l, " visitors=")
			_, split, _ := strings.Cut(rest, " ")
			return before + " visitors=nil " + split, true
		}},
		{"newVsReturning", "new vs returning visitors", func(l string) (string, bool) {
			if !strings.HasPrefix(l, "period ") {
				return l, true
			}
			before, _, _ := strings.Cut(l, " new=")
			return before + " new=nil returning=nil", true
		}},
		{"pagePath", "top pages", func(l string) (string, bool) { return l, !strings.HasPrefix(l, "figures.TopPage") }},
		{"pagePath,pageTitle", "top pages", func(l string) (string, bool) {
			if !strings.HasPrefix(l, "figures.TopPage") {
				return l, true
			}
			before, rest, _ := strings.Cut(l, " Title:")
			_, after, _ := strings.Cut(rest, " Pageviews:")
			return before + " Title: Pageviews:" + after, true
		}},
	} {
		var want []string
		for _, l := range recordLines(clean) {
			if kept, ok := tc.keep(l); ok {
				want = append(want, kept)
			}
		}
		slices.Sort(want)
		for name, ref := range refusals {
			t.Run(fmt.Sprintf("%q %s", tc.dims, name), func(t *testing.T) {
				f := newFakeGA(t)
				f.setFault(func(_ int, req fakeRequest) *fakeAnswer {
					if req.dims() != tc.dims {
						return nil
					}
					return ref.answer(f)
				})
				c, _ := newTestCollector(t, f, "", fastOptions())
				sink, err := collect(t, c, w)
				if err == nil || collectors.EndsRun(context.Background(), err) {
					t.Fatalf("err = %v, want a failed family that leaves the run partial", err)
				}
				notes := strings.Join(sink.Notes(), "\n")
				if !strings.Contains(notes, tc.family) || !strings.Contains(notes, ref.says) {
					t.Errorf("notes %q should name %q and quote %q", sink.Notes(), tc.family, ref.says)
				}
				if got := recordLines(sink.Records()); !slices.Equal(got, want) {
					t.Errorf("stored:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
			})
		}
	}
}

// TestTopPagesPageToTheEnd ranks a month's pages in pages of five: GA may cap a page, and the
// list must still hold every place.
func TestTopPagesPageToTheEnd(t *testing.T) {
	w := window("2025-12-01", "2025-12-31")
	f := newFakeGA(t)
	c, _ := newTestCollector(t, f, "", fastOptions())
	want := recordLines(mustCollect(t, c, w).Records())

	f = newFakeGA(t)
	c, _ = newTestCollector(t, f, "", fastOptions())
	c.pageSize = 5
	if got := recordLines(mustCollect(t, c, w).Records()); !slices.Equal(got, want) {
		t.Errorf("in pages of 5:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	ranked := f.requestsFor("pagePath")
	if len(ranked) != (c.topPages+1+4)/5 {
		t.Fatalf("%d ranking pages, want %d for %d places in pages of 5", len(ranked), (c.topPages+1+4)/5, c.topPages+1)
	}
	for i, r := range ranked {
		if r.Limit != 5 || int(r.Offset) != 5*i {
			t.Errorf("page %d asked limit %d offset %d", i, r.Limit, r.Offset)
		}
	}
	if n := len(f.requestsFor("pagePath,pageTitle")); n < 2 {
		t.Errorf("titles read in %d pages of 5", n)
	}
}

// backfillCalls runs a backfill against the fake step by step, as the runner does, and returns
// the runReport requests made and the fewest GA's paging allows: per step one page of daily rows
// per page size (at least one), per month, quarter and year one report for the total and one for
// new vs returning, per month one ranking page and one page of titles (51 places and the titles
// of 50 paths fit in one page of 10 000).
func backfillCalls(tb testing.TB, window days.Range) (calls, minimum int) {
	f := newFakeGA(tb)
	c, _ := newTestCollector(tb, f, "", fastOptions())
	today := days.Of(testNow, c.loc)
	for _, step := range window.Chunks(Kind().ChunkDays) {
		if err := c.Collect(context.Background(), step, &collectors.Sink{}); err != nil {
			tb.Fatalf("step %s: %v", step, err)
		}
		rows := 0
		step.Each(func(d time.Time) { rows += len(f.data.traffic(d)) })
		minimum += max(1, (rows+c.pageSize-1)/c.pageSize)
		for _, p := range periodsToFetch(step, today) {
			minimum += 2
			if p.Kind == days.Month {
				minimum += 2
			}
		}
	}
	return f.requestCount(), minimum
}

func TestAPICallsOfABackfillAreTheMinimum(t *testing.T) {
	calls, minimum := backfillCalls(t, days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)})
	collectortest.ReportCalls(t, "ga4", calls, minimum, 1.1)
}

// BenchmarkAPICalls prints the requests a three-year backfill makes against the fake and the
// fewest GA allows (see backfillCalls).
func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b, days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)})
	}
	collectortest.ReportCalls(b, "ga4", calls, minimum, 1.1)
}

// TestReportWithAnUnknownFieldIsAskedOnce: a report GA rejects for a field it does not know (a
// withdrawn dimension) is not sent again in the later steps of a backfill; each step notes it.
func TestReportWithAnUnknownFieldIsAskedOnce(t *testing.T) {
	f := newFakeGA(t)
	f.setFault(func(_ int, req fakeRequest) *fakeAnswer {
		if req.dims() != "newVsReturning" {
			return nil
		}
		return badRequest("Field newVsReturning is not a valid dimension. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema")
	})
	c, _ := newTestCollector(t, f, "", fastOptions())
	for i, step := range (days.Range{From: days.Date(2025, 1, 1), To: days.Date(2025, 6, 30)}).Chunks(Kind().ChunkDays) {
		sink, err := collect(t, c, step)
		notes := strings.Join(sink.Notes(), "\n")
		if err == nil || !strings.Contains(notes, "new vs returning visitors not stored") {
			t.Errorf("step %s: err %v, notes %q", step, err, sink.Notes())
		}
		if i > 0 && !strings.Contains(notes, "not asked again") {
			t.Errorf("step %s: notes %q should say the report was not sent again", step, sink.Notes())
		}
	}
	if n := f.hitCount() - f.requestCount(); n != 1 {
		t.Errorf("the refused report was sent %d times in six steps, want once", n)
	}
}
