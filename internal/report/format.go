package report

import (
	"math"

	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
)

// Unit says how a figure is written.
type Unit string

// Units.
const (
	UnitCount Unit = "count" // a whole number: "10 234"
	UnitShare Unit = "share" // a fraction shown in percent with one decimal: "46,2 %"
	UnitText  Unit = "text"
)

// unitOf is the unit a KPI is written in. Averages (reach per month) are written as whole numbers.
func unitOf(k KPI) Unit {
	if k.Shape == metrics.ShapeRate {
		return UnitShare
	}
	return UnitCount
}

// FormatValue writes v in unit for lang, with the qualifier an imported figure was stated with:
// "10 234", "46,2 %", "over 300", "drøyt 20,4 %". Nil is "–".
func FormatValue(lang i18n.Lang, unit Unit, v *float64, qualifier string) string {
	if v == nil || math.IsNaN(*v) {
		return "–"
	}
	var s string
	switch unit {
	case UnitShare:
		s = lang.Rate(*v)
	default:
		s = lang.Number(int64(math.Round(*v)))
	}
	if qualifier != "" && lang.Has("report.qualifier."+qualifier) {
		s = lang.T("report.qualifier."+qualifier, s)
	}
	return s
}

// FormatFigure writes a figure; see FormatValue.
func FormatFigure(lang i18n.Lang, unit Unit, f Figure) string {
	return FormatValue(lang, unit, f.Value, f.Qualifier)
}

func sign(x float64) string {
	switch {
	case x > 0:
		return "+"
	case x < 0:
		return "−"
	}
	return "±"
}
