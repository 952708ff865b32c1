package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/innomed/rekkevidde/internal/store"
)

// ScaleOptions describe a data set for speed measurements (`rekkevidde bench`): daily web figures
// for several sites over many years, in the shape collectors write them (every channel and device
// per day, provider uniques per month, quarter and year, the top pages of every month). It is
// not InnoMed's story, only its size: it exists to show whether a page for one year slows down as
// history and sites accumulate.
type ScaleOptions struct {
	// Sites are the site ids to fill; each gets the same rhythm at its own level.
	Sites []string
	// FirstYear and LastYear are the whole years generated.
	FirstYear, LastYear int
}

// LoadScale generates and writes the data set, one INSERT per table and site.
func LoadScale(ctx context.Context, st *store.Store, opts ScaleOptions) (Summary, error) {
	if len(opts.Sites) == 0 || opts.FirstYear > opts.LastYear {
		return nil, errors.New("demo: scale: want at least one site and FirstYear ≤ LastYear")
	}
	version := store.NewVersion()
	rows := map[string]int{}
	var order []string
	for i, site := range opts.Sites {
		for _, b := range scaleSite(site, float64(i+1), opts.FirstYear, opts.LastYear, version) {
			if err := st.Insert(ctx, b.table, b.columns, b.rows); err != nil {
				return nil, fmt.Errorf("demo: scale: %s %s: %w", site, b.table, err)
			}
			if _, ok := rows[b.table]; !ok {
				order = append(order, b.table)
			}
			rows[b.table] += len(b.rows)
		}
	}
	var sum Summary
	for _, t := range order {
		sum = append(sum, TableRows{Table: t, Rows: rows[t]})
	}
	return sum, nil
}

// scaleSite is one site's rows; level scales its traffic so the sites differ.
func scaleSite(site string, level float64, first, last int, version uint64) []batch {
	traffic := batch{table: "web_traffic_daily", columns: []string{"site_id", "date", "channel", "device",
		"visitors", "sessions", "pageviews", "new_visitors", "source", "version"}}
	periods := batch{table: "web_visitors_period", columns: []string{"site_id", "period", "period_start",
		"period_end", "visitors", "new_visitors", "returning_visitors", "source", "version"}}
	pages := batch{table: "web_top_pages", columns: []string{"site_id", "month", "path", "title", "pageviews",
		"source", "version"}}
	channels := []string{ChannelOrganicSearch, ChannelDirect, ChannelSocial, ChannelReferral, ChannelEmail}
	channelShare := []float64{0.45, 0.33, 0.12, 0.07, 0.03}
	deviceShare := []float64{0.78, 0.19, 0.03}
	r := newRand("scale-" + site)
	period := func(kind string, start, end time.Time, visitors int) {
		v, n := u64(visitors), u64(visitors*6/10)
		ret := v - n
		periods.rows = append(periods.rows, []any{site, kind, start, end, &v, &n, &ret, Source, version})
	}
	for year := first; year <= last; year++ {
		growth := math.Pow(1.06, float64(year-first))
		yearVisitors := 0
		for q := 1; q <= 4; q++ {
			qStart := quarterStart(year, q)
			qVisitors := 0
			for m := 0; m < 3; m++ {
				mStart := qStart.AddDate(0, m, 0)
				mVisitors, mViews := 0, 0
				for _, d := range daysOf(mStart, monthEnd(mStart)) {
					daily := 110 * level * growth * weekdayFactor(d) * holidayFactor(d) * noise(r, 0.15)
					for ci, ch := range channels {
						for di, dev := range devices() {
							s := stochasticRound(r, daily*channelShare[ci]*deviceShare[di])
							if s == 0 {
								continue
							}
							v := max(1, s*9/10)
							pv := s * 2
							traffic.rows = append(traffic.rows, []any{site, d, ch, dev, u64(v), u64(s), u64(pv), u64(v * 6 / 10), Source, version})
							mVisitors += v
							mViews += pv
						}
					}
				}
				period("month", mStart, monthEnd(mStart), mVisitors*8/10)
				for p := 1; p <= 12; p++ {
					views := mViews / (p + 2)
					pages.rows = append(pages.rows, []any{site, mStart, "/side-" + strconv.Itoa(p), "Side " + strconv.Itoa(p), u64(views), Source, version})
				}
				qVisitors += mVisitors * 7 / 10
			}
			period("quarter", qStart, qStart.AddDate(0, 3, -1), qVisitors)
			yearVisitors += qVisitors * 8 / 10
		}
		period("year", day(year, time.January, 1), day(year, time.December, 31), yearVisitors)
	}
	return []batch{traffic, periods, pages}
}
