package collectors

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/figures"
)

func TestRunFamiliesKeepsGoingPastAFailure(t *testing.T) {
	sink := &Sink{}
	var ran []string
	fam := func(name string, err error) Family {
		return Family{Name: name, Run: func(context.Context) error {
			ran = append(ran, name)
			if err == nil {
				sink.Add(figures.Publication{Title: name})
			}
			return err
		}}
	}
	refused := &APIError{Source: "x", Method: "GET", Path: "/top", Status: 404, Body: "unknown method"}
	err := RunFamilies(context.Background(), sink, fam("daily traffic", nil), fam("top pages", refused), fam("period uniques", nil))
	if strings.Join(ran, ",") != "daily traffic,top pages,period uniques" {
		t.Fatalf("ran %v, want every family", ran)
	}
	if len(sink.Records()) != 2 {
		t.Fatalf("records %d, want the two families that worked", len(sink.Records()))
	}
	var fe *FamilyError
	if !errors.As(err, &fe) || fe.Family != "top pages" || !errors.As(err, new(*APIError)) {
		t.Fatalf("error %v should name the family and keep the provider's error", err)
	}
	if notes := strings.Join(sink.Notes(), "|"); !strings.Contains(notes, "top pages") || !strings.Contains(notes, "unknown method") {
		t.Fatalf("notes %q should name the family and the provider's message", notes)
	}
}

func TestRunFamiliesStopsWhenEveryRequestWouldFail(t *testing.T) {
	sink := &Sink{}
	var ran []string
	fam := func(name string, err error) Family {
		return Family{Name: name, Run: func(context.Context) error { ran = append(ran, name); return err }}
	}
	err := RunFamilies(context.Background(), sink, fam("followers", nil), fam("follows", ErrUnauthorized), fam("reach", nil))
	if strings.Join(ran, ",") != "followers,follows" {
		t.Fatalf("ran %v: nothing should run after the credentials were refused", ran)
	}
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error %v should stay ErrUnauthorized for the runner", err)
	}
	if notes := strings.Join(sink.Notes(), "|"); !strings.Contains(notes, "reach") {
		t.Fatalf("notes %q should name the family left unfetched", notes)
	}
}

func TestRunFamiliesJoinsSeveralFailures(t *testing.T) {
	sink := &Sink{}
	a, b := errors.New("boom a"), errors.New("boom b")
	err := RunFamilies(context.Background(), sink,
		Family{Name: "a", Run: func(context.Context) error { return a }},
		Family{Name: "b", Run: func(context.Context) error { return b }},
		Family{Name: "c", Run: func(context.Context) error { return nil }})
	if !errors.Is(err, a) || !errors.Is(err, b) || !strings.Contains(err.Error(), "2 of 3") {
		t.Fatalf("error %v should join both failures", err)
	}
}

func TestRunFamiliesNotesAFamilyStoredInPart(t *testing.T) {
	sink := &Sink{}
	err := RunFamilies(context.Background(), sink,
		Family{Name: "daily traffic", Run: func(context.Context) error {
			return Partly(errors.New("device split refused: stored by channel only"))
		}})
	if err == nil || !strings.Contains(err.Error(), "device split refused") {
		t.Fatalf("error %v should make the run partial", err)
	}
	if notes := strings.Join(sink.Notes(), "|"); !strings.Contains(notes, "daily traffic stored in part: device split refused") || strings.Contains(notes, "not stored") {
		t.Fatalf("notes %q", notes)
	}
}
