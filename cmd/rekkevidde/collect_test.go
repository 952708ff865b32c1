package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

// fakePlausible answers the Stats API v2 the way Plausible does: one direct/desktop row of 10
// visits per day, and 100 unique visitors for any period without dimensions.
func fakePlausible(t *testing.T) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer test-key" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error": "Invalid API key or site ID."}`))
			return
		}
		var q struct {
			Metrics    []string `json:"metrics"`
			DateRange  any      `json:"date_range"`
			Dimensions []string `json:"dimensions"`
		}
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		type row struct {
			Metrics    []int    `json:"metrics"`
			Dimensions []string `json:"dimensions"`
		}
		var rows []row
		value := func(metric string, daily bool) int {
			switch {
			case !daily && metric == "visitors":
				return 100
			case metric == "pageviews":
				return 20
			default:
				return 10
			}
		}
		from, to := "2022-01-01", "2022-12-31"
		if r, ok := q.DateRange.([]any); ok {
			from, to = r[0].(string), r[1].(string)
		}
		switch {
		case len(q.Dimensions) == 0:
			var m []int
			for _, name := range q.Metrics {
				m = append(m, value(name, false))
			}
			rows = append(rows, row{Metrics: m, Dimensions: []string{}})
		case q.Dimensions[0] == "time:day":
			start, _ := time.Parse(time.DateOnly, from)
			end, _ := time.Parse(time.DateOnly, to)
			if len(q.Dimensions) == 1 { // the first day of data
				end = start
			}
			for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
				dims := []string{d.Format(time.DateOnly), "Direct", "Desktop"}[:len(q.Dimensions)]
				var m []int
				for _, name := range q.Metrics {
					m = append(m, value(name, true))
				}
				rows = append(rows, row{Metrics: m, Dimensions: dims})
			}
		default: // top pages
			rows = append(rows, row{Metrics: []int{20}, Dimensions: []string{"/"}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"results": rows,
			"meta":    map[string]any{"total_rows": len(rows)},
			"query":   map[string]any{"date_range": []string{from + "T00:00:00+01:00", to + "T23:59:59+01:00"}},
		})
	}))
}

func TestCollectBackfillPrintsProgressAndASummary(t *testing.T) {
	st := chtest.Open(t)
	fake := fakePlausible(t)
	defer fake.Close()
	path := filepath.Join(t.TempDir(), "rekkevidde.yaml")
	cfg := "sources:\n  - id: plausible\n    type: plausible\n    settings:\n      site: innomed.no\n      api_key: test-key\n      requests_per_hour: 360000\n      base_url: " + fake.URL + "\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, st, nil, "collect", "plausible", "--from", "2022-01-01", "--to", "2022-12-31", "--config", path)
	if err != nil {
		t.Fatalf("collect: %v\n%s", err, out)
	}
	for _, want := range []string{
		"plausible: backfilling 2022-01-01..2022-12-31 (365 days)",
		"plausible [1/12] 2022-01-01..2022-01-31  ok",
		"plausible [12/12] 2022-12-01..2022-12-31  ok",
		"plausible: ok — 12 of 12 steps done",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	digest := figureDigest(t, st)
	if !strings.Contains(digest, "2022 Q1 900 100") || !strings.Contains(digest, "2022 Q4 920 100") {
		t.Fatalf("collected quarters:\n%s", digest)
	}
	// A wrong key: the run fails with a message naming the source, and the command says so.
	bad := strings.Replace(cfg, "api_key: test-key", "api_key: wrong-key", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, st, nil, "collect", "plausible", "--config", path)
	if err == nil || !strings.Contains(out, "plausible:") || strings.Contains(out, "wrong-key") {
		t.Fatalf("collect with a wrong key: %v\n%s", err, out)
	}
}

func TestSummaryNamesTheResumeDayOnlyWhenKnown(t *testing.T) {
	var out strings.Builder
	printSummary(&out, scheduler.Summary{Source: "ga4", Status: scheduler.StatusFailed, Chunks: 12, Done: 6, Err: errors.New("insert failed")})
	if strings.Contains(out.String(), "0001-01-01") || !strings.Contains(out.String(), "ga4: stopped; run the same command again to resume where it stopped") {
		t.Fatalf("without a resume day:\n%s", out.String())
	}
	out.Reset()
	printSummary(&out, scheduler.Summary{Source: "ga4", Status: scheduler.StatusFailed, Chunks: 12, Done: 6, ResumeAt: days.Date(2023, 7, 1)})
	if !strings.Contains(out.String(), "resume from 2023-07-01") {
		t.Fatalf("with a resume day:\n%s", out.String())
	}
}

// `rekkevidde collect` beside a process that runs the same source (serve, another collect) is
// refused with the holder named, and runs once the holder is done.
func TestCollectRefusesASourceAnotherProcessRuns(t *testing.T) {
	st := chtest.Open(t)
	fake := fakePlausible(t)
	defer fake.Close()
	path := filepath.Join(t.TempDir(), "rekkevidde.yaml")
	cfg := "sources:\n  - id: plausible\n    type: plausible\n    settings:\n      site: innomed.no\n      api_key: test-key\n      requests_per_hour: 360000\n      base_url: " + fake.URL + "\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	serve := store.Claimant{Owner: "dash-1:777:beef", Host: "dash-1", PID: 777, Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if held, _, _, err := st.ClaimLease(ctx, "plausible", serve, time.Minute, store.NewVersion()); err != nil || !held {
		t.Fatalf("claim: %v, %v", held, err)
	}
	out, err := runCmd(t, st, nil, "collect", "plausible", "--config", path)
	want := "plausible: already being collected by another process: host dash-1, pid 777, since 2026-01-02 03:04:05 UTC"
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("collect beside another process: %v\n%s", err, out)
	}
	if err := st.ReleaseLease(ctx, "plausible", serve, store.NewVersion()); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, st, nil, "collect", "plausible", "--from", "2022-01-01", "--to", "2022-01-31", "--config", path); err != nil {
		t.Fatalf("collect after the other process ended: %v\n%s", err, out)
	}
}
