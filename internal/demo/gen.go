package demo

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// seedSalt is mixed into every stream's seed. Changing it changes every generated figure except the
// ones pinned to InnoMed's report.
const seedSalt = 20220331

// newRand returns the generator for one named stream. Each table (and each year within it) draws
// from its own stream, so changing how one table is generated leaves the others' figures alone.
func newRand(stream string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(stream))
	return rand.New(rand.NewPCG(h.Sum64(), seedSalt))
}

// noise is a multiplicative jitter around 1 (log-normal, so never negative).
func noise(r *rand.Rand, sigma float64) float64 {
	return math.Exp(r.NormFloat64() * sigma)
}

// uniform returns a float in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 {
	return lo + (hi-lo)*r.Float64()
}

// intBetween returns an int in [lo, hi].
func intBetween(r *rand.Rand, lo, hi int) int {
	return lo + r.IntN(hi-lo+1)
}

// stochasticRound rounds x up with probability equal to its fraction, so many small cells still add
// up to the intended share instead of all rounding the same way.
func stochasticRound(r *rand.Rand, x float64) int {
	if x <= 0 {
		return 0
	}
	whole := math.Floor(x)
	if r.Float64() < x-whole {
		whole++
	}
	return int(whole)
}

// allocate splits total into integers proportional to weights (largest remainder), so the parts
// always add up to total exactly. Ties go to the lower index; all-zero weights split evenly.
func allocate(total int, weights []float64) []int {
	out := make([]int, len(weights))
	if len(weights) == 0 || total <= 0 {
		return out
	}
	var sum float64
	for _, w := range weights {
		if w > 0 {
			sum += w
		}
	}
	type rem struct {
		idx  int
		frac float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		share := float64(total) / float64(len(weights))
		if sum > 0 {
			share = float64(total) * math.Max(w, 0) / sum
		}
		out[i] = int(math.Floor(share))
		given += out[i]
		rems[i] = rem{idx: i, frac: share - math.Floor(share)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].frac > rems[b].frac })
	for i := 0; given < total; i++ {
		out[rems[i%len(rems)].idx]++
		given++
	}
	return out
}

// rebalance moves single units between the columns of rows (each row's sum stays the same) until
// every column sums to its target. rowOrder spreads the moves over many rows so no single day shows
// a visible step. It is used to pin a year's channel and device totals after noisy daily splits.
func rebalance(cells [][]int, targets []int, rowOrder []int) error {
	diff := make([]int, len(targets))
	totalDiff := 0
	for _, row := range cells {
		for c, v := range row {
			diff[c] += v
		}
	}
	for c, t := range targets {
		diff[c] -= t
		totalDiff += diff[c]
	}
	if totalDiff != 0 {
		return fmt.Errorf("rebalance: targets differ from the cells' total by %d", totalDiff)
	}
	for {
		done := true
		for _, d := range diff {
			if d != 0 {
				done = false
				break
			}
		}
		if done {
			return nil
		}
		moved := false
		for _, i := range rowOrder {
			src, dst := -1, -1
			for c, d := range diff {
				if d > 0 && cells[i][c] > 0 && (src < 0 || d > diff[src]) {
					src = c
				}
				if d < 0 && (dst < 0 || d < diff[dst]) {
					dst = c
				}
			}
			if src < 0 || dst < 0 {
				continue
			}
			cells[i][src]--
			cells[i][dst]++
			diff[src]--
			diff[dst]++
			moved = true
		}
		if !moved {
			return errors.New("rebalance: no row can give up a unit in a column above its target")
		}
	}
}

// day is a calendar date, held as midnight UTC (how the driver writes a ClickHouse Date).
func day(year int, month time.Month, d int) time.Time {
	return time.Date(year, month, d, 0, 0, 0, 0, time.UTC)
}

// daysOf lists every date from first to last inclusive.
func daysOf(first, last time.Time) []time.Time {
	var out []time.Time
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

func quarterOf(d time.Time) int { return days.QuarterOf(d) }

func quarterStart(year, quarter int) time.Time { return days.QuarterStart(year, quarter) }

func monthEnd(monthStart time.Time) time.Time { return monthStart.AddDate(0, 1, -1) }

// localTime is a wall-clock time in loc (Europe/Oslo), converted to UTC for storage.
func localTime(loc *time.Location, d time.Time, hour, minute int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc).UTC()
}

// nthWeekday is the n-th given weekday of a month (n from 1).
func nthWeekday(year int, month time.Month, weekday time.Weekday, n int) time.Time {
	d := day(year, month, 1)
	for d.Weekday() != weekday {
		d = d.AddDate(0, 0, 1)
	}
	return d.AddDate(0, 0, 7*(n-1))
}

// nextWorkday moves a Saturday or Sunday forward to Monday.
func nextWorkday(d time.Time) time.Time {
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// easterSunday (Western, anonymous Gregorian algorithm): Easter week is Norway's longest spring holiday.
func easterSunday(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	dd := (h+l-7*m+114)%31 + 1
	return day(year, time.Month(month), dd)
}

// weekdayFactor is how busy a weekday is for a B2B health-sector audience.
func weekdayFactor(d time.Time) float64 {
	switch d.Weekday() {
	case time.Monday:
		return 1.12
	case time.Tuesday:
		return 1.18
	case time.Wednesday:
		return 1.15
	case time.Thursday:
		return 1.10
	case time.Friday:
		return 0.86
	case time.Saturday:
		return 0.36
	default:
		return 0.44
	}
}

// holidayFactor dampens Norwegian holidays: fellesferie in July, Christmas, Easter week, 17 May.
func holidayFactor(d time.Time) float64 {
	m, dd := d.Month(), d.Day()
	easter := easterSunday(d.Year())
	switch {
	case m == time.July:
		return 0.42
	case m == time.June && dd >= 22, m == time.August && dd <= 7:
		return 0.72
	case m == time.December && dd >= 21, m == time.January && dd <= 2:
		return 0.40
	case !d.Before(easter.AddDate(0, 0, -6)) && !d.After(easter.AddDate(0, 0, 1)):
		return 0.55
	case m == time.May && (dd == 17 || dd == 1):
		return 0.50
	}
	return 1
}

// slug makes a URL path segment from a Norwegian title (æ ø å folded to ASCII, as Drupal's pathauto does).
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch r {
		case 'æ':
			b.WriteString("ae")
			dash = false
			continue
		case 'ø':
			b.WriteString("o")
			dash = false
			continue
		case 'å':
			b.WriteString("a")
			dash = false
			continue
		case 'é':
			r = 'e'
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// norwegianMonths are the month names used in titles ("Nyhetsbrev januar 2022").
func norwegianMonth(m time.Month) string {
	return [...]string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
		"september", "oktober", "november", "desember"}[m-1]
}

func u64(n int) uint64 {
	if n < 0 {
		panic(fmt.Sprintf("demo: negative count %d", n)) // a generator bug, never data
	}
	return uint64(n)
}

func u32(n int) uint32 {
	if n < 0 || n > math.MaxUint32 {
		panic(fmt.Sprintf("demo: count %d out of UInt32 range", n))
	}
	return uint32(n)
}
