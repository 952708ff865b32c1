package pages

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// markerOptions renders a year of daily points with the given annotations and returns the
// marker lines the chart draws and the series names in its legend.
func markerOptions(t *testing.T, anns []query.Annotation) (lines []map[string]any, series []string) {
	t.Helper()
	span := days.YearSpan(2022)
	buckets := days.Buckets(span, days.Day)
	labels := make([]string, len(buckets))
	for i, b := range buckets {
		labels[i] = b.Start.Format("02.01")
	}
	spec := chartSpec{lang: i18n.NB, id: "markers", title: "Følgere", assetsDir: "/static/a/echarts/"}
	c := spec.newLine(labels)
	c.AddSeries("Facebook", lineData(make([]*float64, len(labels))), lineOpts(len(labels), false)...)
	addAnnotations(c, i18n.NB, anns, days.Day, buckets, labels)
	v, err := renderChart(c, spec.id, "", spec.assetsDir)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"series":(\[.*?\]),"title"`).FindStringSubmatch(string(v.Script))
	if m == nil {
		t.Fatalf("no series in %s", v.Script)
	}
	var out []struct {
		Name     string `json:"name"`
		MarkLine *struct {
			Data []map[string]any `json:"data"`
		} `json:"markLine"`
	}
	if err := json.Unmarshal([]byte(m[1]), &out); err != nil {
		t.Fatalf("series JSON: %v\n%s", err, m[1])
	}
	for _, s := range out {
		series = append(series, s.Name)
		if s.MarkLine != nil {
			lines = append(lines, s.MarkLine.Data...)
		}
	}
	return lines, series
}

// A year of daily followers with 25 markers draws at most maxMarks lines, merged by week or month
// with every title kept in the merged line's label, as a series "Markeringer" that the legend
// toggles; two markers on one day are one line labelled 2.
func TestMarkersAreGroupedAndToggled(t *testing.T) {
	var anns []query.Annotation
	for i := range 25 {
		anns = append(anns, query.Annotation{Day: time.Date(2022, time.January, 3+i*14, 0, 0, 0, 0, time.UTC),
			Kind: query.AnnotationNewsletter, Title: "Nyhetsbrev " + string(rune('A'+i))})
	}
	lines, series := markerOptions(t, anns)
	if len(lines) == 0 || len(lines) > maxMarks {
		t.Errorf("%d marker lines for 25 markers, want 1–%d", len(lines), maxMarks)
	}
	if len(series) != 2 || series[1] != "Markeringer" {
		t.Errorf("series %q, want the markers as their own legend entry \"Markeringer\"", series)
	}
	total := 0
	for _, l := range lines {
		name, _ := l["name"].(string)
		total += strings.Count(name, "Nyhetsbrev: ")
		label, _ := l["label"].(map[string]any)
		if label == nil || label["show"] != true || label["formatter"] == "" {
			t.Errorf("marker line %v has no label of its own", l)
		}
	}
	if total != 25 {
		t.Errorf("the merged lines name %d of the 25 markers", total)
	}

	day := time.Date(2022, time.March, 8, 0, 0, 0, 0, time.UTC)
	lines, _ = markerOptions(t, []query.Annotation{{Day: day, Kind: query.AnnotationEvent, Title: "Webinar"},
		{Day: day, Kind: query.AnnotationNewsletter, Title: "Mars"}, {Day: day.AddDate(0, 0, 1), Kind: query.AnnotationEvent, Title: "Kurs"}})
	if len(lines) != 2 {
		t.Fatalf("three markers on two days: %d lines, want 2 (few markers stay on their day)", len(lines))
	}
	if l := lines[0]; l["xAxis"] != "08.03" || l["label"].(map[string]any)["formatter"] != "2" || !strings.Contains(l["name"].(string), "Arrangement: Webinar\nNyhetsbrev: Mars") {
		t.Errorf("the day with two markers: %v", l)
	}

	if lines, series := markerOptions(t, nil); len(lines) != 0 || len(series) != 1 {
		t.Errorf("no annotations: %d lines, series %q", len(lines), series)
	}
}

// The chart scripts are joined into one line and escaped for HTML: a // comment would swallow
// the rest, and <, > or & would be escaped into a syntax error.
func TestChartScriptsSurviveJoiningAndEscaping(t *testing.T) {
	for name, js := range map[string]string{"jsFitLegend": jsFitLegend, "jsFitNamedLabels": jsFitNamedLabels,
		"jsEdgeLabels": jsEdgeLabels, "jsCompact": jsCompact, "jsResize": jsResize} {
		for _, bad := range []string{"//", "<", ">", "&"} {
			if strings.Contains(js, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}
