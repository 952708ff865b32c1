package feeds

import (
	"strings"

	"golang.org/x/net/html"

	"github.com/innomed/rekkevidde/collectors"
)

// blockTags end a line of text; other tags (em, a, sup) sit inside a word or sentence.
var blockTags = map[string]bool{
	"br": true, "p": true, "div": true, "li": true, "tr": true, "td": true, "th": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
}

// plainText turns a feed's title into plain text: tags dropped, entities decoded (titles are often
// escaped HTML, sometimes escaped twice), whitespace collapsed, and any e-mail address hidden,
// since no address may be stored.
func plainText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			text := strings.Join(strings.Fields(b.String()), " ")
			return collectors.HideEmailAddresses(text)
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			if name, _ := z.TagName(); blockTags[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}
