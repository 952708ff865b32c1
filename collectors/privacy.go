package collectors

import "regexp"

// emailAddress matches what looks like an e-mail address.
var emailAddress = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// HideEmailAddresses replaces every e-mail address in s with "[e-mail address]". Provider text
// that is stored or logged (a newsletter's subject, a feed item's title, an error that quotes an
// answer) may name a person's or a contact address, and no address may be kept.
func HideEmailAddresses(s string) string {
	return emailAddress.ReplaceAllString(s, "[e-mail address]")
}
