package admin

import (
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/i18n"
)

func TestSplitRetriesAddsUpKindsAndKeepsWhatItCannotRead(t *testing.T) {
	notes := "2 transient faults retried: 2 × HTTP 503\nfeed x: 3 items undated\n" +
		"4 transient faults retried: 1 × HTTP 503, 3 × timeout\n1 transient fault retried: something odd"
	counts, rest := splitRetries(notes)
	if len(counts) != 2 || counts["HTTP 503"] != 3 || counts["timeout"] != 3 {
		t.Errorf("counts %v, want 3 × HTTP 503 and 3 × timeout", counts)
	}
	if rest != "feed x: 3 items undated\n1 transient fault retried: something odd" {
		t.Errorf("notes left %q", rest)
	}
	if got := strings.Join(retryLines(i18n.NB, counts, 1), "; "); got != "3 × HTTP 503; 3 × tidsavbrudd; 1 × skriving til ClickHouse" {
		t.Errorf("lines %q", got)
	}
	if c, rest := splitRetries(""); len(c) != 0 || rest != "" {
		t.Errorf("empty notes: %v %q", c, rest)
	}
}
