package signin

import (
	"strings"
	"testing"
)

func TestReturnAddressStaysOnThisSite(t *testing.T) {
	for next, want := range map[string]string{
		"":                              "/",
		"/":                             "/",
		"/nettsted?year=2022":           "/nettsted?year=2022",
		"/nyhetsbrev#utsendelser":       "/nyhetsbrev#utsendelser",
		"//evil.example/":               "/",
		"/\\evil.example":               "/",
		"/\t/evil.example":              "/",
		"https://evil.example/":         "/",
		"javascript:alert(1)":           "/",
		"evil.example":                  "/",
		"/login?next=/":                 "/",
		"/logout":                       "/",
		"/auth/callback?code=x":         "/",
		"/%2F%2Fevil.example":           "/%2F%2Fevil.example", // a path on this site, however odd
		"/" + strings.Repeat("a", 3000): "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
