package pages

import (
	"errors"
	"fmt"
	"strings"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// ValidateTargets checks the configured yearly targets against the figures a target may name
// (metrics.Targetable; listed with their definitions in dashboard/README.md) and converts them: a
// rate's target is configured in percent (22 means 22 %) and becomes a fraction. Every problem is named
// with its key, all at once, like config.Load does; serve calls this before the dashboard starts,
// and New refuses to start without it passing.
func ValidateTargets(targets []config.Target) ([]query.Target, error) {
	var errs []error
	seen := map[string]int{}
	out := make([]query.Target, 0, len(targets))
	for i, t := range targets {
		key := fmt.Sprintf("targets[%d]", i)
		def, ok := metrics.Lookup(t.KPI)
		if !ok || !def.On(metrics.Target) {
			errs = append(errs, fmt.Errorf("config: %s.kpi: unknown KPI %q; known KPIs: %s", key, t.KPI, kpiNames()))
			continue
		}
		id := fmt.Sprintf("%s/%d", t.KPI, t.Year)
		if j, dup := seen[id]; dup {
			errs = append(errs, fmt.Errorf("config: %s: a second target for %s in %d (targets[%d] is the first)", key, t.KPI, t.Year, j))
			continue
		}
		seen[id] = i
		if def.Percent() && (t.Value <= 0 || t.Value > 100) {
			errs = append(errs, fmt.Errorf("config: %s.value: %s is a rate given in percent (22 means 22 %%), got %v", key, t.KPI, t.Value))
			continue
		}
		out = append(out, query.Target{KPI: def.Name, Year: t.Year, Value: def.FromPercent(t.Value)})
	}
	return out, errors.Join(errs...)
}

func kpiNames() string { return strings.Join(metrics.Names(metrics.Targetable()), ", ") }
