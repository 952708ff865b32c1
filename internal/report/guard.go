package report

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/innomed/rekkevidde/internal/query"
)

// Guarded publishing. A publication freezes the figures people print, so only a closed period
// can be published: a year from 1 January of the next year, a quarter from the first day of the
// next quarter, in the organisation's time zone. A publication made before its period closed (by
// a version without this guard) is never in force: its figures were incomplete. An admin can
// withdraw the publication in force, with a reason; the withdrawal is a row of its own
// (report_withdrawals), the publication stays on record, and publishing again makes a new one.

// ErrPeriodOpen is wrapped by the error for publishing a period that has not closed.
var ErrPeriodOpen = errors.New("report period has not closed")

// OpenPeriodError says a period cannot be published yet, and from when it can.
type OpenPeriodError struct {
	Period string
	// Closes is the first instant the period can be published.
	Closes time.Time
	// Future is set when the period has not even begun.
	Future bool
}

func (e *OpenPeriodError) Error() string {
	state := "is still running"
	if e.Future {
		state = "has not begun"
	}
	return fmt.Sprintf("report %s %s: it can be published from %s", e.Period, state, e.Closes.Format("2006-01-02 15:04 MST"))
}

func (e *OpenPeriodError) Unwrap() error { return ErrPeriodOpen }

// PeriodBounds are the first instant of a year (quarter 0) or quarter and the first instant after
// it, in loc.
func PeriodBounds(year, quarter int, loc *time.Location) (start, end time.Time) {
	if quarter == 0 {
		start = time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
		return start, start.AddDate(1, 0, 0)
	}
	start = time.Date(year, time.Month(3*(quarter-1)+1), 1, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 3, 0)
}

// Closed is nil when the period can be published now, else an *OpenPeriodError.
func (b *Builder) Closed(year, quarter int) error {
	start, end := PeriodBounds(year, quarter, b.loc)
	now := b.now()
	if !now.Before(end) {
		return nil
	}
	return &OpenPeriodError{Period: PeriodName(year, quarter), Closes: end, Future: now.Before(start)}
}

// Withdrawal is a withdrawn publication: which one, by whom, when and why.
type Withdrawal struct {
	PublishedAt time.Time `json:"published_at"`
	Checksum    string    `json:"checksum"`
	WithdrawnAt time.Time `json:"withdrawn_at"`
	WithdrawnBy string    `json:"withdrawn_by"`
	Reason      string    `json:"reason"`
}

// Errors of Withdraw.
var (
	ErrNotPublished = errors.New("report: no publication in force to withdraw")
	ErrBadReason    = errors.New("report: a withdrawal needs a reason of 3 to 500 characters, without control characters")
)

// MaxReason bounds a withdrawal's reason.
const MaxReason = 500

// Withdraw withdraws the publication in force of kind (KindAnnual or KindQuarterly) and period,
// recording by and reason. Nothing is deleted.
func (b *Builder) Withdraw(ctx context.Context, w Inserter, kind string, year, quarter int, by, reason string) (*Withdrawal, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return nil, ErrNoPublisher
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 3 || n > MaxReason || strings.ContainsFunc(reason, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) {
		return nil, ErrBadReason
	}
	period := PeriodName(year, quarter)
	p, _, err := b.inForce(ctx, kind, period)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("%w: %s report %s", ErrNotPublished, kind, period)
	}
	wd := &Withdrawal{PublishedAt: p.PublishedAt, Checksum: p.Checksum, WithdrawnAt: b.now().UTC().Truncate(time.Second),
		WithdrawnBy: by, Reason: reason}
	err = w.Insert(ctx, "report_withdrawals",
		[]string{"report", "scope", "period", "published_at", "checksum", "withdrawn_at", "withdrawn_by", "reason"},
		[][]any{{kind, b.site.ID, period, wd.PublishedAt, wd.Checksum, wd.WithdrawnAt, wd.WithdrawnBy, wd.Reason}})
	if err != nil {
		return nil, fmt.Errorf("withdraw %s report %s: %w", kind, period, err)
	}
	return wd, nil
}

// inForce is the publication in force of kind and period (nil when there is none) and the newest
// withdrawal (nil when there is none). A publication is in force when it is the newest one made
// after its period closed and after the publication the newest withdrawal ended.
func (b *Builder) inForce(ctx context.Context, kind, period string) (*query.PublishedReport, *Withdrawal, error) {
	rec, err := b.q.PublicationRecord(ctx, kind, b.site.ID, period)
	if err != nil {
		return nil, nil, err
	}
	pubs, ws := rec.Publications, rec.Withdrawals
	var last *Withdrawal
	if len(ws) > 0 {
		w := ws[0]
		last = &Withdrawal{PublishedAt: w.PublishedAt, Checksum: w.Checksum, WithdrawnAt: w.WithdrawnAt, WithdrawnBy: w.WithdrawnBy, Reason: w.Reason}
	}
	year, quarter, err := ParsePeriod(period)
	if err != nil {
		return nil, nil, err
	}
	_, end := PeriodBounds(year, quarter, b.loc)
	// Only the newest can be in force: every older one was made before it, so before the period
	// closed, or before the publication a withdrawal ended, whenever the newest was.
	if len(pubs) > 0 {
		p := &pubs[0]
		ended := last != nil && !p.PublishedAt.After(last.PublishedAt)
		if !ended && !p.PublishedAt.Before(end) {
			return p, last, nil
		}
	}
	return nil, last, nil
}
