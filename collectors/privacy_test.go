package collectors

import "testing"

func TestHideEmailAddresses(t *testing.T) {
	for in, want := range map[string]string{
		"Spørsmål til kurs@innomed.no":                      "Spørsmål til [e-mail address]",
		"Kari.Nordmann+nyhet@helse-bergen.no og ola@ks.no":  "[e-mail address] og [e-mail address]",
		"Nyhetsbrev mars 2025":                              "Nyhetsbrev mars 2025",
		"@innomed på Instagram, innomed.no, user@localhost": "@innomed på Instagram, innomed.no, user@localhost",
	} {
		if got := HideEmailAddresses(in); got != want {
			t.Errorf("HideEmailAddresses(%q) = %q, want %q", in, got, want)
		}
	}
}
