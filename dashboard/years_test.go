package dashboard

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
)

// The year picker and the report list offer exactly the years that hold figures: 2019 and 2022
// with nothing in between offer those two — not 2020 and 2021, and not this year, which is empty.
func TestYearsOfferedAreTheYearsWithFigures(t *testing.T) {
	st := chtest.Open(t)
	insertQuarters(t, st, "innomed.no", 2022, report2022)
	insertQuarters(t, st, "innomed.no", 2019, []quarterFigures{{2, 700, nil}})
	app := newApp(t, st, testConfig())

	r := get(t, app, "/nettsted")
	if r.status != http.StatusOK {
		t.Fatalf("GET /nettsted: status %d\n%.2000s", r.status, r.body)
	}
	for _, want := range []string{`<option value="2022" selected>2022</option>`, `<option value="2019">2019</option>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the year picker lacks %q", want)
		}
	}
	empty := []int{2020, 2021, 1970}
	if y := time.Now().Year(); y > 2022 {
		empty = append(empty, y)
	}
	for _, y := range empty {
		if strings.Contains(r.body, `<option value="`+strconv.Itoa(y)+`"`) {
			t.Errorf("the year picker offers %d, which has no figures", y)
		}
	}

	idx := get(t, app, "/rapporter")
	if idx.status != http.StatusOK {
		t.Fatalf("GET /rapporter: status %d", idx.status)
	}
	for _, y := range []int{2022, 2019} {
		if !strings.Contains(idx.body, `href="/rapporter/ar/`+strconv.Itoa(y)+`"`) {
			t.Errorf("the report list lacks %d", y)
		}
	}
	for _, y := range empty {
		if strings.Contains(idx.body, `/rapporter/ar/`+strconv.Itoa(y)) {
			t.Errorf("the report list offers %d, which has no figures", y)
		}
	}
}
