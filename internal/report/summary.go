package report

import (
	"math"
	"sort"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// maxSentences bounds the summary: the few largest moves are news, the rest is in the table.
const maxSentences = 6

// Thresholds below which a move is not worth a sentence: 5 % for counts, one percentage point for
// rates.
const (
	minRelativeMove = 0.05
	minPointsMove   = 0.01
)

// summarise writes what moved against the period before, largest moves first, then the targets
// reached or behind, in both languages.
func summarise(kpis []KPI, quarterly bool) Summary {
	type move struct {
		k     KPI
		score float64
	}
	var moves []move
	for _, k := range kpis {
		c := k.ChangePrevious
		if c == nil || !k.Current.Known() || !k.Previous.Known() {
			continue
		}
		switch {
		case k.Percent() && math.Abs(c.Delta) >= minPointsMove:
			moves = append(moves, move{k, math.Abs(c.Delta) * 2})
		case !k.Percent() && c.Relative != nil && math.Abs(*c.Relative) >= minRelativeMove && math.Abs(c.Delta) >= 1:
			moves = append(moves, move{k, math.Abs(*c.Relative)})
		}
	}
	sort.SliceStable(moves, func(i, j int) bool { return moves[i].score > moves[j].score })
	if len(moves) > maxSentences {
		moves = moves[:maxSentences]
	}
	var s Summary
	for _, lang := range []i18n.Lang{i18n.NB, i18n.EN} {
		var out []string
		against := lang.T("report.against_previous_year")
		if quarterly {
			against = lang.T("report.against_previous_quarter")
		}
		for _, m := range moves {
			out = append(out, moveSentence(lang, m.k, against))
		}
		for _, k := range kpis {
			if k.Target == nil {
				continue
			}
			label := KPILabel(lang, k.Name)
			target := FormatValue(lang, unitOf(k), &k.Target.Value, "")
			switch k.Target.Status {
			case StatusMet:
				out = append(out, lang.T("report.sentence.target_met", label, k.Target.Year, target))
			case StatusBehind, StatusMissed:
				out = append(out, lang.T("report.sentence.target_behind", label, k.Target.Year, target,
					FormatValue(lang, unitOf(k), k.Target.Progress, "")))
			}
		}
		if lang == i18n.EN {
			s.EN = out
		} else {
			s.NB = out
		}
	}
	return s
}

func moveSentence(lang i18n.Lang, k KPI, against string) string {
	c := k.ChangePrevious
	key := "report.sentence.up"
	if c.Delta < 0 {
		key = "report.sentence.down"
	}
	var by string
	if k.Percent() {
		key += "_points"
		by = lang.Decimal1(math.Abs(c.Delta * 100))
	} else {
		by = lang.Percent(math.Abs(*c.Relative))
	}
	unit := unitOf(k)
	current := FormatFigure(lang, unit, k.Current)
	if k.Current.MeasuredOn != "" {
		// A level measured before the period's end says so here too: "fra 341 til 406, sist målt …".
		current += ", " + figureCell("", unit, k.Current).LastMeasured(lang)
	}
	return lang.T(key, KPILabel(lang, k.Name), by, against, FormatFigure(lang, unit, k.Previous), current)
}

// KPILabel names a KPI in lang ("LinkedIn-følgere").
func KPILabel(lang i18n.Lang, name string) string {
	if lang.Has("report.kpi." + name) {
		return lang.T("report.kpi." + name)
	}
	return name
}
