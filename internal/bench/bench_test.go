package bench

import (
	"os"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var r loadResult
	for i := 100; i >= 1; i-- {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	if got := r.percentile(95); got != 95*time.Millisecond {
		t.Fatalf("p95 of 1..100 ms = %s", got)
	}
	if got := (loadResult{}).percentile(95); got != 0 {
		t.Fatalf("p95 of nothing = %s", got)
	}
}

func TestPeakRSSReadsThisProcess(t *testing.T) {
	peak, err := peakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if peak < 1<<20 || peak > 1<<34 {
		t.Fatalf("peak RSS %d bytes is not believable", peak)
	}
	if _, err := peakRSS(-1); err == nil {
		t.Fatal("no such process: want an error")
	}
}
