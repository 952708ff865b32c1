// Package delivery e-mails the quarterly report to the resource group: an HTML message with the
// quarter's CSV attached, sent send_day days after each quarter closes, exactly once per quarter.
//
// Exactly once across restarts rests on the log in report_deliveries (schemas/0005): an attempt
// writes a "sending" row before it talks to the SMTP server and a "sent" or "failed" row when it
// is done. A quarter with a sent attempt is never sent again. A failed attempt is retried with a
// growing pause (Backoff), and stays in the log for anyone to see. An attempt left "sending" by a
// process that died mid-send is counted as failed once it is StaleAfter old and retried; the
// message keeps the same Message-ID on every attempt, so in that one case — the server took the
// message and the process died before recording it — a second copy can be recognised as the
// same message.
//
// The report and its CSV are internal/report's: the published report where the quarter has been
// published, else the report as today's figures give it (report.Builder.QuarterlyView).
package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/report"
)

// Reports gives the quarterly report; *report.Builder is one.
type Reports interface {
	QuarterlyView(ctx context.Context, year, quarter int) (report.View, error)
}

// DB is the delivery log's storage; *store.Store is one.
type DB interface {
	Conn() driver.Conn
	Insert(ctx context.Context, table string, columns []string, rows [][]any) error
}

// Timing of the loop and the retries.
const (
	// CheckEvery is how often Run looks whether a report is due. A check is one small query.
	CheckEvery = 10 * time.Minute
	// SendTimeout bounds one conversation with the SMTP server.
	SendTimeout = 2 * time.Minute
	// StaleAfter is when a "sending" attempt without an outcome is taken for one whose process died.
	StaleAfter = 15 * time.Minute
	// FirstRetry and MaxRetry bound the pause after a failure: 5 min, 10, 20, … up to 6 h.
	FirstRetry = 5 * time.Minute
	MaxRetry   = 6 * time.Hour
)

// Backoff is the pause after the n-th failed attempt (n ≥ 1).
func Backoff(n int) time.Duration {
	d := FirstRetry
	for i := 1; i < n && d < MaxRetry; i++ {
		d *= 2
	}
	return min(d, MaxRetry)
}

// Attempt statuses as stored.
const (
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
	// StatusInterrupted is not stored: it is how a stale "sending" attempt is read.
	StatusInterrupted = "interrupted"
)

// Options configure a Deliverer.
type Options struct {
	Email config.Email
	// Site is whose report is sent; it names the report's scope in the log.
	Site     config.Site
	Location *time.Location
	// Lang is the message's and the CSV's language (the configured default language).
	Lang    i18n.Lang
	Reports Reports
	DB      DB
	Log     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PDF prints the report to attach beside the CSV (pdf.go); nil sends HTML and CSV only.
	PDF PDF
}

// Deliverer sends the quarterly report when it is due. It holds no state between checks: the
// log in ClickHouse is the state, so several processes or a restart agree on what was sent.
type Deliverer struct {
	opts   Options
	mailer *mailer
	log    *slog.Logger
	now    func() time.Time
}

// New checks the options and returns a deliverer.
func New(opts Options) (*Deliverer, error) {
	switch {
	case opts.Reports == nil:
		return nil, errors.New("delivery: no report source")
	case opts.DB == nil:
		return nil, errors.New("delivery: no database")
	case opts.Location == nil:
		return nil, errors.New("delivery: no time zone")
	case opts.Site.ID == "":
		return nil, errors.New("delivery: no site")
	}
	m, err := newMailer(opts.Email)
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Deliverer{opts: opts, mailer: m, log: log.With("component", "delivery"), now: now}, nil
}

// Run checks every CheckEvery until ctx ends. Errors are logged, never fatal: a mail server that
// is down must not stop the dashboard.
func (d *Deliverer) Run(ctx context.Context) {
	d.log.InfoContext(ctx, "quarterly report delivery on", "recipients", len(d.opts.Email.To),
		"send_day", d.opts.Email.SendDay, "send_hour", d.opts.Email.SendHour)
	for {
		if _, err := d.Check(ctx); err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "quarterly report delivery check failed", "err", err)
		}
		t := time.NewTimer(CheckEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Due returns the quarter whose report is due at now, and when it became due: the quarter before
// the one now lies in, from sendHour on its last day + sendDay days (local time). ok is false
// before that moment. sendDay ≤ 60 keeps that moment inside the next quarter, so at most one
// quarter is ever due: a quarter missed entirely (the service was down for three months) is not
// sent late over the next one.
func Due(now time.Time, loc *time.Location, sendDay, sendHour int) (year, quarter int, at time.Time, ok bool) {
	local := now.In(loc)
	q := days.QuarterOf(local)
	year, quarter = local.Year(), q-1
	if quarter == 0 {
		year, quarter = year-1, 4
	}
	// The previous quarter's last day is the day before this quarter's first.
	first := days.Start(days.QuarterStart(local.Year(), q), loc)
	last := first.AddDate(0, 0, -1)
	at = time.Date(last.Year(), last.Month(), last.Day()+sendDay, sendHour, 0, 0, 0, loc)
	return year, quarter, at, !now.Before(at)
}

// Outcome is what one check did.
type Outcome string

// Outcomes.
const (
	NothingDue  Outcome = "nothing_due"  // no quarter's report is due
	AlreadySent Outcome = "already_sent" // the due report went out before
	Waiting     Outcome = "waiting"      // an attempt is under way elsewhere, or a retry's pause runs
	Sent        Outcome = "sent"
	Failed      Outcome = "failed"
)

// Check sends the due quarter's report unless it has been sent, an attempt is under way, or the
// pause after a failed attempt has not run out.
func (d *Deliverer) Check(ctx context.Context) (Outcome, error) {
	now := d.now()
	e := d.opts.Email
	year, quarter, dueAt, ok := Due(now, d.opts.Location, e.SendDay, e.SendHour)
	if !ok {
		return NothingDue, nil
	}
	period := report.PeriodName(year, quarter)
	attempts, err := d.Attempts(ctx, period)
	if err != nil {
		return Failed, err
	}
	failures := 0
	var lastEnd time.Time
	for _, a := range attempts {
		switch a.Status(now) {
		case StatusSent:
			return AlreadySent, nil
		case StatusSending:
			return Waiting, nil
		case StatusInterrupted:
			// Its pause runs from when it was given up for dead.
			failures++
			lastEnd = a.Started.Add(StaleAfter)
		default:
			failures++
			lastEnd = a.Ended
		}
	}
	if failures > 0 {
		if next := lastEnd.Add(Backoff(failures)); now.Before(next) {
			return Waiting, nil
		}
	}
	if now.Sub(dueAt) > 24*time.Hour && failures == 0 {
		d.log.InfoContext(ctx, "sending a quarterly report later than its day", "period", period, "due", dueAt)
	}
	return d.attempt(ctx, year, quarter, failures+1)
}

// attempt makes one delivery attempt of the quarter's report and records how it went.
func (d *Deliverer) attempt(ctx context.Context, year, quarter, n int) (Outcome, error) {
	period := report.PeriodName(year, quarter)
	a := Attempt{ID: newID(), Period: period, Recipients: d.opts.Email.To, MessageID: d.messageID(period)}
	// The claim comes first: nothing is sent that the log does not know about.
	if err := d.record(ctx, a, StatusSending, ""); err != nil {
		return Failed, err
	}
	log := d.log.With("period", period, "attempt", n, "attempt_id", a.ID)
	log.InfoContext(ctx, "sending quarterly report", "recipients", len(a.Recipients))
	sendErr := d.send(ctx, year, quarter, a)
	// The outcome is recorded even when ctx has ended (shutdown during a send), so the next start
	// knows what happened.
	recCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if sendErr != nil {
		if err := d.record(recCtx, a, StatusFailed, sendErr.Error()); err != nil {
			log.ErrorContext(ctx, "could not record a failed delivery", "err", err)
		}
		log.WarnContext(ctx, "quarterly report not sent; will retry", "err", sendErr, "retry_in", Backoff(n))
		return Failed, sendErr
	}
	if err := d.record(recCtx, a, StatusSent, ""); err != nil {
		// The message is gone; without the record a restart would send it again. Say so loudly.
		log.ErrorContext(ctx, "quarterly report sent but not recorded; a restart may send it again", "err", err)
		return Sent, err
	}
	log.InfoContext(ctx, "quarterly report sent", "recipients", len(a.Recipients))
	return Sent, nil
}

// send builds the message for the quarter and hands it to the SMTP server.
func (d *Deliverer) send(ctx context.Context, year, quarter int, a Attempt) error {
	view, err := d.opts.Reports.QuarterlyView(ctx, year, quarter)
	if err != nil {
		return fmt.Errorf("build quarterly report %s: %w", a.Period, err)
	}
	msg, err := compose(d.opts, view, a.MessageID, d.now())
	if err != nil {
		return err
	}
	d.attachPDF(ctx, msg, view, year, quarter)
	sendCtx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	return d.mailer.send(sendCtx, msg)
}

// messageID is the same for every attempt at one period's report (see the package comment).
func (d *Deliverer) messageID(period string) string {
	domain := "rekkevidde.invalid"
	if a, err := mail.ParseAddress(d.opts.Email.From); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
			domain = a.Address[at+1:]
		}
	}
	return "rekkevidde.quarterly." + strings.ToLower(period) + "." + atomText(d.opts.Site.ID) + "@" + domain
}

// atomText keeps what a Message-ID's left part may hold.
func atomText(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail; it crashes the program instead
	return hex.EncodeToString(b[:])
}
