package report

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
)

// Quarterly is the resource group's quarterly review: every KPI for the quarter against the
// quarter before and the same quarter a year before, targets with their status, and sentences
// saying what moved.
type Quarterly struct {
	Report      string    `json:"report"` // KindQuarterly
	Year        int       `json:"year"`
	Quarter     int       `json:"quarter"`
	Site        Site      `json:"site"`
	GeneratedAt time.Time `json:"generated_at"`
	// Period, PreviousPeriod and YearEarlierPeriod name the quarters compared ("2022-Q3").
	Period            string  `json:"period"`
	PreviousPeriod    string  `json:"previous_period"`
	YearEarlierPeriod string  `json:"year_earlier_period"`
	KPIs              []KPI   `json:"kpis"`
	Summary           Summary `json:"summary"`
}

// Quarterly builds the review of quarter (1–4) of year.
func (b *Builder) Quarterly(ctx context.Context, year, quarter int) (*Quarterly, error) {
	ctx, _ = query.NewRequest(ctx)
	if err := checkYear(year); err != nil {
		return nil, err
	}
	if quarter < 1 || quarter > 4 {
		return nil, fmt.Errorf("%w: quarter %d", ErrBadPeriod, quarter)
	}
	cur := days.QuarterSpan(year, quarter)
	p := periods{current: cur, previous: cur.Previous(), yearEarlier: cur.YearEarlier(), quarterly: true}
	rd, err := b.read(ctx, p, false)
	if err != nil {
		return nil, fmt.Errorf("quarterly report %s: %w", PeriodName(year, quarter), err)
	}
	r := &Quarterly{
		Report: KindQuarterly, Year: year, Quarter: quarter, Site: Site{ID: b.site.ID, Name: b.site.Name},
		GeneratedAt:       b.now().UTC(),
		Period:            PeriodName(year, quarter),
		PreviousPeriod:    PeriodName(p.previous.From.Year(), days.QuarterOf(p.previous.From)),
		YearEarlierPeriod: PeriodName(year-1, quarter),
	}
	if r.KPIs, err = b.kpiRows(ctx, rd); err != nil {
		return nil, fmt.Errorf("quarterly report %s: %w", r.Period, err)
	}
	r.Summary = summarise(r.KPIs, true)
	rd.sourceKPIs(r.KPIs)
	return r, nil
}
