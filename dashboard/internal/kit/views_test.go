package kit

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// Every key a template translates must exist in every language, or the page shows the bare key.
func TestTemplateKeysAreInTheCatalogue(t *testing.T) {
	key := regexp.MustCompile(`\{\{-?\s*t\s+\$?\.Lang\s+"([^"]+)"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v %v", files, err)
	}
	seen := 0
	for _, name := range files {
		src, err := fs.ReadFile(templateFS, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			seen++
			for _, l := range i18n.Supported() {
				if !l.Has(m[1]) {
					t.Errorf("%s uses %q, missing in %s", name, m[1], l)
				}
			}
		}
	}
	if seen < 10 {
		t.Errorf("found only %d translated keys; is the pattern still right?", seen)
	}
}
