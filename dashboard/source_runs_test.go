package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/store"
)

// storedRun is a collector_runs row as the scheduler writes it since 0007.
type storedRun struct {
	id, source, status, owner, notes string
	started                          time.Time
	finished, heartbeat              *time.Time
	retries                          uint32
}

func insertStoredRun(t *testing.T, st *store.Store, r storedRun) {
	t.Helper()
	day := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)
	err := st.Insert(context.Background(), "collector_runs",
		[]string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "finished_at", "status",
			"rows_written", "error", "notes", "retry_at", "owner", "heartbeat_at", "retries", "version"},
		[][]any{{r.id, r.source, "incremental", day, day.AddDate(0, 0, 6), r.started.UTC().Truncate(time.Second), r.finished, r.status,
			uint64(10), "", r.notes, (*time.Time)(nil), r.owner, r.heartbeat, r.retries, store.NewVersion()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SummarizeRuns(context.Background()); err != nil { // as the scheduler folds the runs it records
		t.Fatal(err)
	}
}

// retryNote is the note the collectors' HTTP client writes after retrying two 503s and a cut-off
// answer: the runs page reads the producer's own words, not a copy of them.
func retryNote(t *testing.T) string {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1, 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 3:
			w.Header().Set("Content-Length", "40")
			_, _ = w.Write([]byte(`{"rows": [1, 2`))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		default:
			_, _ = w.Write([]byte(`{"rows": [1, 2, 3]}`))
		}
	}))
	defer srv.Close()
	c := collectors.NewHTTPClient(collectors.HTTPOptions{Source: "test", WaitMin: time.Millisecond, WaitMax: 20 * time.Millisecond,
		RequestsPerSecond: 1000})
	var out struct{ Rows []int }
	if err := c.JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &out); err != nil {
		t.Fatal(err)
	}
	sink := &collectors.Sink{}
	c.NoteRetries(sink)
	if notes := sink.Notes(); len(notes) != 1 {
		t.Fatalf("the client noted %q, want one note", notes)
	}
	return sink.Notes()[0]
}

func TestRunsPageShowsOwnerHeartbeatAndRetries(t *testing.T) {
	st := chtest.Open(t)
	cfg := testConfig()
	cfg.Sources = []config.Source{{ID: "ga4", Type: "ga4"}, {ID: "matomo", Type: "matomo"}}
	now := time.Now().UTC()
	day := now.Add(-48 * time.Hour)
	done := day.Add(time.Minute)
	beat := now.Add(-8 * time.Second)
	old := now.Add(-5 * time.Minute)
	insertStoredRun(t, st, storedRun{id: "r1", source: "ga4", status: "ok", owner: "web1:4242:ab12cd34", started: day, finished: &done,
		heartbeat: &done, retries: 3, notes: "2 kanaler uten navn\n" + retryNote(t)})
	insertStoredRun(t, st, storedRun{id: "r2", source: "ga4", status: "interrupted", owner: "web2:77:deadbeef",
		started: day.Add(time.Hour), finished: ptrTime(day.Add(2 * time.Hour)), heartbeat: ptrTime(day.Add(time.Hour))})
	insertStoredRun(t, st, storedRun{id: "r3", source: "ga4", status: "interrupted", started: day.Add(-time.Hour), finished: &done})
	insertStoredRun(t, st, storedRun{id: "r4", source: "ga4", status: "running", owner: "web1:4242:ab12cd34", started: now.Add(-time.Minute), heartbeat: &beat})
	insertStoredRun(t, st, storedRun{id: "m1", source: "matomo", status: "running", owner: "gone:9:0badf00d", started: old, heartbeat: &old})
	admin := browserAs(t, newApp(t, st, cfg), auth.Admin)

	page := admin.get("/admin/kilder/ga4")
	if page.status != http.StatusOK {
		t.Fatalf("runs page: %d\n%s", page.status, page.body)
	}
	for _, want := range []string{
		`<td class="run-owner"><code>web1:4242:ab12cd34</code></td>`,
		"2 × HTTP 503<br>1 × svar avbrutt<br>3 × skriving til ClickHouse",
		"web2:77:deadbeef hadde kjøringen da den stoppet",
		"registrert før kjøringer fikk eier",
		"Kjørt av", "Siste livstegn", "Forsøkt på nytt",
		"2 kanaler uten navn",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("runs page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "transient") {
		t.Error("the retried faults are shown again among the notes")
	}
	// The heartbeat shows for the run under way only, with how long ago it was.
	if got := regexp.MustCompile(`kl\. \d\d\.\d\d\.\d\d \(for (\d+) s siden\)`).FindAllStringSubmatch(page.body, -1); len(got) != 1 || len(got[0][1]) > 2 {
		t.Errorf("heartbeats shown: %q, want the running run's, seconds ago", got)
	}
	if strings.Contains(page.body, "Ingen livstegn") {
		t.Error("a fresh heartbeat is called stale")
	}

	// A run whose owner went silent says so; in English too.
	stale := admin.get("/admin/kilder/matomo?lang=en")
	for _, want := range []string{`<td class="run-owner"><code>gone:9:0badf00d</code></td>`, "min ago)", "No sign of life for over two minutes", "Run by", "Last sign of life"} {
		if !strings.Contains(stale.body, want) {
			t.Errorf("English runs page of a silent run lacks %q", want)
		}
	}
	en := admin.get("/admin/kilder/ga4?lang=en")
	for _, want := range []string{"2 × HTTP 503<br>1 × answer cut off<br>3 × ClickHouse write", "web2:77:deadbeef held the run when it stopped",
		"recorded before runs had owners"} {
		if !strings.Contains(en.body, want) {
			t.Errorf("English runs page lacks %q", want)
		}
	}
}
