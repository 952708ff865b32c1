package i18n

import (
	"math"
	"sort"
	"testing"
	"time"
)

func TestNumber(t *testing.T) {
	cases := map[string]struct {
		n      int64
		nb, en string
	}{
		"zero":          {0, "0", "0"},
		"three digits":  {999, "999", "999"},
		"four digits":   {1000, "1 000", "1,000"},
		"report Q1":     {10234, "10 234", "10,234"},
		"million":       {1000000, "1 000 000", "1,000,000"},
		"seven digits":  {1234567, "1 234 567", "1,234,567"},
		"negative":      {-10234, "-10 234", "-10,234"},
		"negative tiny": {-5, "-5", "-5"},
		"max int64":     {math.MaxInt64, "9 223 372 036 854 775 807", "9,223,372,036,854,775,807"},
		"min int64":     {math.MinInt64, "-9 223 372 036 854 775 808", "-9,223,372,036,854,775,808"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := NB.Number(c.n); got != c.nb {
				t.Errorf("NB.Number(%d) = %q, want %q", c.n, got, c.nb)
			}
			if got := EN.Number(c.n); got != c.en {
				t.Errorf("EN.Number(%d) = %q, want %q", c.n, got, c.en)
			}
		})
	}
}

func TestNumberUsesAPlainASCIISpace(t *testing.T) {
	// Not a no-break or thin space: figures are copied into spreadsheets and the annual report.
	if got := NB.Number(10234); got != "10\x20234" {
		t.Fatalf("NB.Number(10234) = %q (% x), want bytes 31 30 20 32 33 34", got, got)
	}
}

func TestCount(t *testing.T) {
	if got := NB.Count(math.MaxUint64); got != "18 446 744 073 709 551 615" {
		t.Errorf("NB.Count(MaxUint64) = %q", got)
	}
	if got := EN.Count(9068); got != "9,068" {
		t.Errorf("EN.Count(9068) = %q", got)
	}
}

func TestPercent(t *testing.T) {
	cases := map[string]struct {
		x      float64
		nb, en string
	}{
		"organic search":  {0.46, "46 %", "46%"},
		"zero":            {0, "0 %", "0%"},
		"rounds half up":  {0.135, "14 %", "14%"},
		"growth":          {3.14, "314 %", "314%"},
		"grouped":         {12.345, "1 235 %", "1,235%"},
		"negative":        {-0.05, "-5 %", "-5%"},
		"tiny negative":   {-0.001, "0 %", "0%"},
		"division by 0":   {math.NaN(), "–", "–"},
		"infinite growth": {math.Inf(1), "–", "–"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := NB.Percent(c.x); got != c.nb {
				t.Errorf("NB.Percent(%v) = %q, want %q", c.x, got, c.nb)
			}
			if got := EN.Percent(c.x); got != c.en {
				t.Errorf("EN.Percent(%v) = %q, want %q", c.x, got, c.en)
			}
		})
	}
}

func TestRate(t *testing.T) {
	cases := map[string]struct {
		x      float64
		nb, en string
	}{
		"just over 20":  {0.2043, "20,4 %", "20.4%"},
		"whole":         {0.46, "46,0 %", "46.0%"},
		"not 46,0008":   {0.460008, "46,0 %", "46.0%"},
		"rounds half":   {0.12345, "12,3 %", "12.3%"},
		"rounds up":     {0.12351, "12,4 %", "12.4%"},
		"zero":          {0, "0,0 %", "0.0%"},
		"grouped":       {12.3456, "1 234,6 %", "1,234.6%"},
		"negative":      {-0.0512, "-5,1 %", "-5.1%"},
		"tiny negative": {-0.0004, "0,0 %", "0.0%"},
		"division by 0": {math.NaN(), "–", "–"},
		"infinite":      {math.Inf(-1), "–", "–"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := NB.Rate(c.x); got != c.nb {
				t.Errorf("NB.Rate(%v) = %q, want %q", c.x, got, c.nb)
			}
			if got := EN.Rate(c.x); got != c.en {
				t.Errorf("EN.Rate(%v) = %q, want %q", c.x, got, c.en)
			}
		})
	}
}

func TestMonthAndQuarter(t *testing.T) {
	if got := NB.Month(time.March); got != "mars" {
		t.Errorf("NB.Month(March) = %q", got)
	}
	if got := NB.Month(time.December); got != "desember" {
		t.Errorf("NB.Month(December) = %q", got)
	}
	if got := EN.Month(time.May); got != "May" {
		t.Errorf("EN.Month(May) = %q", got)
	}
	if got := NB.Month(13); got != "13" {
		t.Errorf("NB.Month(13) = %q", got)
	}
	if got := NB.Quarter(1); got != "1. kvartal" {
		t.Errorf("NB.Quarter(1) = %q", got)
	}
	if got := EN.Quarter(4); got != "Q4" {
		t.Errorf("EN.Quarter(4) = %q", got)
	}
}

func TestParse(t *testing.T) {
	cases := map[string]struct {
		in   string
		want Lang
		ok   bool
	}{
		"nb":      {"nb", NB, true},
		"en":      {"en", EN, true},
		"case":    {" EN ", EN, true},
		"unknown": {"de", Default, false},
		"empty":   {"", Default, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Parse(c.in)
			if got != c.want || ok != c.ok {
				t.Errorf("Parse(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestZeroLangFormatsAsDefault(t *testing.T) {
	var l Lang
	if got := l.Number(10234); got != "10 234" {
		t.Errorf("zero Lang Number = %q", got)
	}
	if got := l.T("visitors.title"); got != "Besøkende per kvartal" {
		t.Errorf("zero Lang T = %q", got)
	}
}

func TestCatalogueIsComplete(t *testing.T) {
	for _, l := range Supported() {
		for _, other := range Supported() {
			for key := range catalogue[other] {
				if _, ok := catalogue[l][key]; !ok {
					t.Errorf("%s lacks %q, which %s has", l, key, other)
				}
			}
		}
	}
	keys := make([]string, 0, len(catalogue[NB]))
	for k, v := range catalogue[NB] {
		if v == "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		t.Errorf("empty messages: %v", keys)
	}
}

func TestTFormatsArgsAndFallsBackToKey(t *testing.T) {
	if got := NB.T("visitors.caption", "innomed.no", 2022); got != "Besøkende per kvartal på innomed.no i 2022" {
		t.Errorf("T with args = %q", got)
	}
	if got := EN.T("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key = %q", got)
	}
}
