package collectortest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/store"
)

func TestSettingsAsTheConfigLoaderHandsThemOver(t *testing.T) {
	var set struct {
		Site  string        `yaml:"site"`
		Token config.Secret `yaml:"token"`
	}
	s := Settings(t, "matomo-innomed", "site: innomed.no\n", map[string]string{"REKKEVIDDE_SOURCE_MATOMO_INNOMED_TOKEN": "from-env"})
	if err := s.Decode(&set); err != nil {
		t.Fatal(err)
	}
	if s.ID != "matomo-innomed" || set.Site != "innomed.no" || set.Token.Value() != "from-env" {
		t.Errorf("id %q, settings %+v, token %q", s.ID, set, set.Token.Value())
	}
	if s.Zone().String() != "Europe/Oslo" || s.State.Dir == "" || s.State.Source != "matomo-innomed" {
		t.Errorf("zone %s, state %+v", s.Zone(), s.State)
	}
	if err := Settings(t, "x", "colour: blue\n", nil).Decode(&set); err == nil || !strings.Contains(err.Error(), "unknown key colour") {
		t.Errorf("an unknown key: %v", err)
	}
}

func TestClockAndLogBuffer(t *testing.T) {
	start := time.Date(2026, 1, 20, 12, 0, 0, 0, Oslo)
	c := NewClock(start)
	c.Advance(time.Hour)
	if !c.Now().Equal(start.Add(time.Hour)) {
		t.Errorf("advanced to %s", c.Now())
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Errorf("set to %s", c.Now())
	}
	var logs LogBuffer
	logs.Logger().Debug("retrying request", "attempt", 2)
	if !strings.Contains(logs.String(), "retrying request") {
		t.Errorf("debug lines are not kept: %q", logs.String())
	}
}

// recorder is a testing.TB that keeps its failures instead of failing the test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestNoLeak(t *testing.T) {
	r := &recorder{TB: t}
	NoLeak(r, "logs", `level=INFO msg="retrying request" url=https://x/?token=[redacted] by kari@example.no`, "s3cr3t", "", "kari@example.no")
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], `logs holds "kari@example.no"`) {
		t.Errorf("failures %q, want one naming the address in the logs", r.failures)
	}
}

func TestFaultyInjectsEveryFaultAndTheClientMendsThem(t *testing.T) {
	answer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"rows": [1, 2, 3, 4, 5, 6, 7, 8]}`))
	})
	plan := []Fault{RateLimited, ServerError, CutOff, Malformed, Reset, Throttle, Slow}
	faulty := &Faulty{Handler: answer, Slow: 5 * time.Millisecond, Plan: func(n int, _ *http.Request) Fault {
		if n <= len(plan) {
			return plan[n-1]
		}
		return NoFault
	}}
	h, calls := CountCalls(faulty, nil)
	srv := Server(t, h)
	c := collectors.NewHTTPClient(collectors.HTTPOptions{Source: "fake", RetryMax: 10, WaitMin: time.Millisecond,
		WaitMax: 5 * time.Millisecond, RequestsPerSecond: 1e6, Burst: 100})
	var out struct{ Rows []int }
	if err := c.JSON(context.Background(), http.MethodGet, srv.URL+"/report", nil, nil, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Rows) != 8 {
		t.Fatalf("rows %v", out.Rows)
	}
	// The slow answer is the last fault and still an answer: 7 calls, 6 retries.
	if calls.Total() != 7 || calls.By()["/report"] != 7 {
		t.Fatalf("calls %d %v, want 7", calls.Total(), calls.By())
	}
	if got := faulty.Injected(); len(got) != 7 || got[Slow] != 1 || got[CutOff] != 1 {
		t.Fatalf("injected %v", got)
	}
	retried := 0
	for _, n := range c.Retries() {
		retried += n
	}
	// net/http itself resends a GET whose reused connection closed without an answer, so the
	// reset may be mended below the client's count.
	if retried < 5 || retried > 6 {
		t.Fatalf("retries %v, want 429, 503, cut off, malformed, throttle (and the reset)", c.Retries())
	}
}

func TestCutClickHouseIsMetAndRiddenOut(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	write := func(via *store.Store, job string) error {
		return via.Insert(ctx, "collector_checkpoints", []string{"source", "job", "last_day", "done", "version"},
			[][]any{{"fake", job, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), uint8(1), store.NewVersion()}})
	}
	via, cut := CutClickHouse(t, st)
	if err := write(via, "before"); err != nil {
		t.Fatal(err)
	}
	cut()
	cut() // once only: a second call neither cuts again nor blocks
	started := time.Now()
	if err := write(via, "during"); err != nil {
		t.Fatalf("a write met by the cut is not ridden out: %v", err)
	}
	if took := time.Since(started); took < cutAfterMet || took > cutLongest {
		t.Errorf("the write through the outage took %s: the cut was not met, or lasted too long", took)
	}
	jobs := Lines(t, st.Conn(), "SELECT job FROM collector_checkpoints ORDER BY job")
	if strings.Join(jobs, ",") != "before,during" {
		t.Errorf("stored %q, want each write once", jobs)
	}

	// A cut never made, or made while nothing wrote, fails the test.
	var never, unmet *recorder
	t.Run("never cut", func(t *testing.T) {
		never = &recorder{TB: t}
		CutClickHouse(never, st)
	})
	t.Run("unmet cut", func(t *testing.T) {
		unmet = &recorder{TB: t}
		_, cut := CutClickHouse(unmet, st)
		cut()
	})
	if len(never.failures) != 1 || !strings.Contains(never.failures[0], "never cut") {
		t.Errorf("no cut: failures %q", never.failures)
	}
	if len(unmet.failures) != 1 || !strings.Contains(unmet.failures[0], "met the outage") {
		t.Errorf("a cut nothing met: failures %q", unmet.failures)
	}
}
