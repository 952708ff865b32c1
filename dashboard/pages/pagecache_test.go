package pages

import (
	"testing"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
)

func TestPlaceholdersCutEverywhere(t *testing.T) {
	ph := kit.NewPlaceholders()
	body := []byte(ph.Nonce + "a" + ph.CSRF + ph.Name + "b" + ph.Nonce)
	parts, slots := cutPage(ph, body)
	want := []string{"", "a", "", "b", ""}
	if len(parts) != len(want) || len(slots) != 4 {
		t.Fatalf("parts %q slots %v", parts, slots)
	}
	for i, p := range parts {
		if string(p) != want[i] {
			t.Fatalf("part %d = %q, want %q", i, p, want[i])
		}
	}
	if slots[0] != slotNonce || slots[1] != slotCSRF || slots[2] != slotName || slots[3] != slotNonce {
		t.Fatalf("slots %v", slots)
	}
	if parts, slots := cutPage(ph, []byte("plain")); len(parts) != 1 || len(slots) != 0 {
		t.Fatal("a body without placeholders must stay one part")
	}
}
