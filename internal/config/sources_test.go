package config

import (
	"strings"
	"testing"
)

func webSource(id, typ, site, extra string) string {
	return "  - id: " + id + "\n    type: " + typ + "\n" + extra + "    settings:\n      site: " + site + "\n"
}

func TestSourceDatesAreChecked(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"bad from", webSource("ga4", "ga4", "a", "    from: 2019-02-30\n"), "sources[0].from: must be a date YYYY-MM-DD"},
		{"until before from", webSource("ga4", "ga4", "a", "    from: 2020-01-01\n    until: 2019-12-31\n"), "sources[0].until: 2019-12-31 is before from 2020-01-01"},
		{"start before from", webSource("ga4", "ga4", "a", "    from: 2020-01-01\n    start_date: 2019-06-01\n"), "sources[0].start_date: 2019-06-01 is before from 2020-01-01"},
		{"start after until", webSource("ga4", "ga4", "a", "    until: 2020-01-01\n    start_date: 2021-06-01\n"), "sources[0].start_date: 2021-06-01 is after until 2020-01-01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, "sources:\n"+tc.yaml), noEnv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTwoWebSourcesOfOneSiteMustNotShareADay(t *testing.T) {
	refused := []struct{ name, yaml, want string }{
		{"no dates at all",
			webSource("ga4", "ga4", "innomed.no", "") + webSource("plausible", "plausible", "innomed.no", ""),
			"sources[0] (ga4) and sources[1] (plausible): both collect site innomed.no on every day (neither has from/until)"},
		{"one day shared",
			webSource("ga4", "ga4", "innomed.no", "    until: 2023-06-30\n") + webSource("matomo", "matomo", "innomed.no", "    from: 2023-06-30\n"),
			"sources[0] (ga4) and sources[1] (matomo): both collect site innomed.no from 2023-06-30 to 2023-06-30"},
		{"open end overlaps",
			webSource("ga4", "ga4", "innomed.no", "    from: 2019-01-01\n") + webSource("plausible", "plausible", "innomed.no", "    from: 2023-01-01\n"),
			"both collect site innomed.no on every day from 2023-01-01"},
		{"a disabled source counts (it is run by hand)",
			webSource("ga4", "ga4", "innomed.no", "    disabled: true\n    until: 2023-12-31\n") + webSource("plausible", "plausible", "innomed.no", "    from: 2023-07-01\n"),
			"both collect site innomed.no from 2023-07-01 to 2023-12-31"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, "sites:\n  - id: innomed.no\n  - id: other.no\nsources:\n"+tc.yaml), noEnv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	accepted := []struct{ name, yaml string }{
		{"a switch of provider",
			webSource("ga4", "ga4", "innomed.no", "    until: 2023-06-30\n") + webSource("plausible", "plausible", "innomed.no", "    from: 2023-07-01\n")},
		{"three in turn, listed out of order",
			webSource("plausible", "plausible", "innomed.no", "    from: 2024-01-01\n") +
				webSource("ga4", "ga4", "innomed.no", "    until: 2022-12-31\n") +
				webSource("matomo", "matomo", "innomed.no", "    from: 2023-01-01\n    until: 2023-12-31\n")},
		{"different sites", webSource("ga4", "ga4", "innomed.no", "") + webSource("plausible", "plausible", "other.no", "")},
		{"not web sources", "  - id: fb\n    type: facebook\n  - id: fb2\n    type: facebook\n"},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(writeConfig(t, "sites:\n  - id: innomed.no\n  - id: other.no\nsources:\n"+tc.yaml), noEnv); err != nil {
				t.Fatal(err)
			}
		})
	}
}
