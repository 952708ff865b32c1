package pages

import (
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/config"
)

func TestValidateTargets(t *testing.T) {
	got, err := ValidateTargets([]config.Target{{KPI: "social.followers.linkedin", Year: 2023, Value: 700}, {KPI: "newsletter.click_rate", Year: 2023, Value: 22}})
	if err != nil || len(got) != 2 || got[1].Value != 0.22 {
		t.Errorf("valid targets: %+v %v", got, err)
	}
	_, err = ValidateTargets([]config.Target{
		{KPI: "social.followers.tiktok", Year: 2023, Value: 1},
		{KPI: "web.visits", Year: 2023, Value: 1}, {KPI: "web.visits", Year: 2023, Value: 2},
		{KPI: "newsletter.click_rate", Year: 2023, Value: 0.22 * 1000},
	})
	for _, want := range []string{
		`config: targets[0].kpi: unknown KPI "social.followers.tiktok"; known KPIs: web.visits, web.unique_visitors,`,
		"config: targets[2]: a second target for web.visits in 2023 (targets[1] is the first)",
		"config: targets[3].value: newsletter.click_rate is a rate given in percent (22 means 22 %), got 220",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	// The pages refuse to be built with an unknown KPI (the server then refuses to start:
	// TestNewRefusesAnUnknownTargetKPI in package dashboard).
	cfg := config.Config{Timezone: "Europe/Oslo", Targets: []config.Target{{KPI: "web.visitors", Year: 2023, Value: 1}}}
	if _, err := New(Deps{Config: cfg}); err == nil || !strings.Contains(err.Error(), `unknown KPI "web.visitors"`) {
		t.Errorf("New with an unknown KPI: %v", err)
	}
}

// Targets may name exactly the catalogue's targetable figures: the report's own too, not the
// API's reach series nor history-only figures; a rate's percent becomes a fraction.
func TestTargetsNameTargetableFigures(t *testing.T) {
	got, err := ValidateTargets([]config.Target{{KPI: "social.growth.linkedin", Year: 2023, Value: 50}, {KPI: "web.new_visitors_share", Year: 2023, Value: 40}})
	if err != nil || len(got) != 2 || got[0].Value != 0.5 || got[1].Value != 0.4 {
		t.Fatalf("report figures' targets: %+v, %v", got, err)
	}
	for _, name := range []string{"social.reach.facebook", "web.top_page", "newsletter.open_rate"} {
		if _, err := ValidateTargets([]config.Target{{KPI: name, Year: 2023, Value: 1}}); err == nil || !strings.Contains(err.Error(), `unknown KPI "`+name+`"`) {
			t.Errorf("a target for %s: %v, want it refused", name, err)
		}
	}
}
