package report_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
)

func TestOnlyClosedPeriodsArePublished(t *testing.T) {
	ctx, loc := context.Background(), chtest.Oslo(t)
	st, b, now := clockedBuilder(t, time.Date(2022, time.September, 15, 12, 0, 0, 0, loc))
	for _, c := range []struct {
		year, quarter int
		future        bool
		closes        time.Time
	}{
		{2022, 3, false, time.Date(2022, time.October, 1, 0, 0, 0, 0, loc)}, // running
		{2022, 4, true, time.Date(2023, time.January, 1, 0, 0, 0, 0, loc)},  // future
		{2022, 0, false, time.Date(2023, time.January, 1, 0, 0, 0, 0, loc)}, // the running year
		{2023, 0, true, time.Date(2024, time.January, 1, 0, 0, 0, 0, loc)},  // a future year
	} {
		var err error
		if c.quarter == 0 {
			_, _, err = b.PublishAnnual(ctx, st, c.year, "kari")
		} else {
			_, _, err = b.PublishQuarterly(ctx, st, c.year, c.quarter, "kari")
		}
		var open *report.OpenPeriodError
		if !errors.As(err, &open) || !errors.Is(err, report.ErrPeriodOpen) || open.Future != c.future || !open.Closes.Equal(c.closes) {
			t.Errorf("publish %s: %v (%+v), want an open period that closes %s, future %v", report.PeriodName(c.year, c.quarter), err, open, c.closes, c.future)
		}
	}
	rec, err := query.New(st.Conn()).PublicationRecord(ctx, report.KindQuarterly, site.ID, "2022-Q3")
	if err != nil || len(rec.Publications) != 0 {
		t.Fatalf("a refused publication was stored: %d rows, %v", len(rec.Publications), err)
	}
	// The quarter before has closed: it is published.
	if _, p, err := b.PublishQuarterly(ctx, st, 2022, 2, "kari"); err != nil || p == nil {
		t.Fatalf("publish 2022-Q2 on 15 September: %v", err)
	}
	// The last second of a quarter is still in it; the first of the next is not.
	*now = time.Date(2022, time.September, 30, 23, 59, 59, 0, loc)
	if err := b.Closed(2022, 3); err == nil {
		t.Error("Q3 closed before its last second was over")
	}
	*now = time.Date(2022, time.October, 1, 0, 0, 0, 0, loc)
	if err := b.Closed(2022, 3); err != nil {
		t.Errorf("Q3 at the first instant of Q4: %v", err)
	}
}

func TestAWithdrawnPublicationIsKeptAndNoLongerInForce(t *testing.T) {
	ctx := context.Background()
	st, b, now := clockedBuilder(t, time.Date(2022, time.October, 5, 9, 0, 0, 0, chtest.Oslo(t)))
	if _, err := b.Withdraw(ctx, st, report.KindQuarterly, 2022, 3, "admin", "feil tall"); !errors.Is(err, report.ErrNotPublished) {
		t.Errorf("withdrawing an unpublished report: %v, want ErrNotPublished", err)
	}
	_, pub, err := b.PublishQuarterly(ctx, st, 2022, 3, "kari")
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{"", "  ", "ab", string(make([]rune, report.MaxReason+1)), "nei\x00"} {
		if _, err := b.Withdraw(ctx, st, report.KindQuarterly, 2022, 3, "admin", reason); !errors.Is(err, report.ErrBadReason) {
			t.Errorf("reason %q: %v, want ErrBadReason", reason, err)
		}
	}
	*now = now.Add(time.Hour)
	w, err := b.Withdraw(ctx, st, report.KindQuarterly, 2022, 3, "admin", "LinkedIn-tallene manglet en måned")
	if err != nil {
		t.Fatal(err)
	}
	if !w.PublishedAt.Equal(pub.PublishedAt) || w.Checksum != pub.Checksum || w.WithdrawnBy != "admin" {
		t.Errorf("withdrawal %+v of publication %+v", w, pub)
	}
	v, err := b.QuarterlyView(ctx, 2022, 3)
	if err != nil {
		t.Fatal(err)
	}
	if v.Publication != nil || v.Published != nil || v.Withdrawal == nil || v.Withdrawal.Reason != "LinkedIn-tallene manglet en måned" {
		t.Fatalf("after the withdrawal: publication %+v, withdrawal %+v", v.Publication, v.Withdrawal)
	}
	// Nothing is deleted: the publication and the withdrawal are both on record.
	rec, err := query.New(st.Conn()).PublicationRecord(ctx, report.KindQuarterly, site.ID, "2022-Q3")
	if err != nil || len(rec.Publications) != 1 || rec.Publications[0].Checksum != pub.Checksum {
		t.Fatalf("publications after the withdrawal: %+v, %v", rec.Publications, err)
	}
	if ws := rec.Withdrawals; len(ws) != 1 || ws[0].WithdrawnBy != "admin" || ws[0].Checksum != pub.Checksum {
		t.Fatalf("withdrawals: %+v", ws)
	}
	if _, err := b.Withdraw(ctx, st, report.KindQuarterly, 2022, 3, "admin", "igjen"); !errors.Is(err, report.ErrNotPublished) {
		t.Errorf("withdrawing twice: %v", err)
	}
	// Publishing again puts a new publication in force.
	*now = now.Add(time.Hour)
	_, again, err := b.PublishQuarterly(ctx, st, 2022, 3, "kari")
	if err != nil {
		t.Fatal(err)
	}
	if v, err = b.QuarterlyView(ctx, 2022, 3); err != nil || v.Publication == nil || !v.Publication.PublishedAt.Equal(again.PublishedAt) {
		t.Fatalf("after publishing again: %+v, %v", v.Publication, err)
	}
}

func TestAPublicationMadeBeforeItsPeriodClosedIsNotInForce(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	loc := chtest.Oslo(t)
	// A publication from a version without the guard: 2022-Q3 frozen on 15 September.
	err := st.Insert(ctx, "report_publications", []string{"report", "scope", "period", "published_at", "published_by", "body", "checksum"},
		[][]any{{report.KindQuarterly, site.ID, "2022-Q3", time.Date(2022, 9, 15, 10, 0, 0, 0, time.UTC), "kari", `{"year":2022,"quarter":3}`, "x"}})
	if err != nil {
		t.Fatal(err)
	}
	b := builderAt(t, st, func() time.Time { return time.Date(2022, 10, 5, 9, 0, 0, 0, loc) })
	v, err := b.QuarterlyView(ctx, 2022, 3)
	if err != nil {
		t.Fatal(err)
	}
	if v.Publication != nil || v.Published != nil {
		t.Errorf("a publication of an unfinished quarter is in force: %+v", v.Publication)
	}
}
