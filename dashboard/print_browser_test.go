package dashboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/demo"
)

// signIn signs the tab in through the form, as a person does.
func (b *chromeTab) signIn(t *testing.T) {
	t.Helper()
	b.open(t, "/login")
	ctx, cancel := b.within(20 * time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), b.app.user),
		chromedp.SendKeys(chromedp.ID("password"), b.app.password))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil,
			chromedp.Click(chromedp.CSS(`form.login-form button[type=submit]`))))
	}
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// media switches the tab's CSS media type ("print", or "" for the screen again).
func (b *chromeTab) media(t *testing.T, m string) {
	t.Helper()
	ctx, cancel := b.within(10 * time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
		t.Fatal(err)
	}
}

// printedChart is a chart as laid out for print: its canvas and the printable area, in CSS px.
type printedChart struct {
	ID          string  `json:"id"`
	Left        float64 `json:"left"`
	Right       float64 `json:"right"`
	Canvas      float64 `json:"canvas"`
	Box         float64 `json:"box"`
	Printable   float64 `json:"printable"`
	ChartTarget float64 `json:"target"`
}

// jsPrintedCharts measures every chart against A4's printable width (186 mm: 210 mm less the
// 12 mm margins of style.css's @page) from the left edge of <main>, and against the width it is
// to be printed at: 180 mm, or the smaller one its data-print-width names (report_doc.go).
const jsPrintedCharts = `(() => {
  const len = v => { const d = document.createElement('div'); d.style.width = v; d.style.position = 'absolute';
    document.body.appendChild(d); const w = d.getBoundingClientRect().width; d.remove(); return w; };
  const printable = len('186mm'), left = document.querySelector('main').getBoundingClientRect().left;
  return Array.from(document.querySelectorAll('[_echarts_instance_]')).map(el => {
    const c = el.querySelector('canvas'), r = c.getBoundingClientRect();
    return {id: el.id, left: r.left - left, right: r.right - left, canvas: r.width, box: el.getBoundingClientRect().width,
      printable: printable, target: len(el.getAttribute('data-print-width') || '180mm')};
  });
})()`

func TestReportsPrintInsideA4(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: needs ClickHouse and Chromium")
	}
	chromiumPath(t)
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	st := chtest.Open(t)
	if _, err := demo.Load(context.Background(), st, demo.Options{SiteID: "innomed.no", Location: oslo}); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	app := serveDashboard(t, st)
	b, _ := startChromium(t, app)
	b.viewport(t, false)
	b.signIn(t)
	b.assertClean(t, "sign-in")

	for _, p := range []struct{ name, path string }{
		{"rapport-ar-2022", "/rapporter/ar/2022"},
		{"rapport-kvartal-2022-q3", "/rapporter/kvartal/2022-Q3"},
	} {
		t.Run(p.name, func(t *testing.T) {
			// 1366 px: a laptop, wider than the paper.
			ctx, cancel := b.within(10 * time.Second)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 800)); err != nil {
				t.Fatal(err)
			}
			cancel()
			b.open(t, p.path)
			charts := b.waitForCharts(t, p.path, 1, true)
			b.screenshot(t, p.name+"-1366")
			// Printing: the print media switch redraws the charts (print.js); then beforeprint, as
			// a browser's print dialog fires it. Both must leave every chart on the paper.
			b.media(t, "print")
			for _, step := range []string{"print media", "beforeprint"} {
				if step == "beforeprint" {
					eval[bool](t, b, `window.dispatchEvent(new Event('beforeprint'))`)
				}
				// A resize draws on a later frame; on a busy machine that can take a while. Wait
				// (at most 5 s) until every canvas has its box's width, then measure.
				ctx, cancel := b.within(5 * time.Second)
				_, _ = chromedp.Run(ctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll('[_echarts_instance_]')).every(e => { const c = e.querySelector('canvas'); return c && Math.abs(c.getBoundingClientRect().width - e.getBoundingClientRect().width) <= 1; })`, chromedp.WithPollingInterval(50*time.Millisecond)))
				cancel()
				shown := eval[[]printedChart](t, b, jsPrintedCharts)
				if len(shown) != len(charts) {
					t.Fatalf("%s: %d charts in print, %d on screen", step, len(shown), len(charts))
				}
				for _, c := range shown {
					if c.Left < -1 || c.Right > c.Printable+1 {
						t.Errorf("%s: chart %s spans %.0f–%.0f px, outside the printable width 0–%.0f px", step, c.ID, c.Left, c.Right, c.Printable)
					}
					if c.Canvas > c.Box+1 {
						t.Errorf("%s: chart %s draws %.0f px into a %.0f px box: clipped", step, c.ID, c.Canvas, c.Box)
					}
					if c.Canvas < c.ChartTarget-2 {
						t.Errorf("%s: chart %s is %.0f px wide in print, want the %.0f px it is to be printed at", step, c.ID, c.Canvas, c.ChartTarget)
					}
				}
			}
			// The designed document: its masthead prints (and only prints), and the quarterly
			// review is in the channels' sections.
			if !eval[bool](t, b, `getComputedStyle(document.querySelector('.doc-masthead')).display !== 'none'`) {
				t.Error("the printed report has no masthead")
			}
			if p.name == "rapport-kvartal-2022-q3" {
				got := eval[[]string](t, b, `Array.from(document.querySelectorAll('.report-section')).map(s => s.id)`)
				want := []string{"section-web", "section-social", "section-newsletter", "section-events", "section-targets"}
				for i, id := range want[:4] {
					if i >= len(got) || got[i] != id {
						t.Errorf("quarterly sections %q, want %q first", got, want)
						break
					}
				}
			}
			eval[bool](t, b, `window.dispatchEvent(new Event('afterprint'))`)
			b.media(t, "")
			if eval[bool](t, b, `getComputedStyle(document.querySelector('.doc-masthead')).display !== 'none'`) {
				t.Error("the printed masthead shows on the screen")
			}
			b.assertClean(t, p.path+" printed")

			b.viewport(t, true)
			b.open(t, p.path)
			b.waitForCharts(t, p.path+" (phone)", 1, true)
			b.screenshot(t, p.name+"-390")
			// On a phone nothing sticks out of the page; a wide table scrolls in its own box
			// with its first column fixed, so scrolled to its end every column is in view.
			if o := eval[overflow](t, b, jsCall(jsOverflow)); len(o.Culprits) > 0 {
				t.Errorf("at 390 px the page scrolls sideways: %+v", o)
			}
			type scrolled struct {
				Tables, Sticky, Outside int
			}
			got := eval[scrolled](t, b, `(() => {
  let tables = 0, sticky = 0, outside = 0;
  for (const wrap of document.querySelectorAll('.report .table-wrap')) {
    if (wrap.scrollWidth <= wrap.clientWidth) continue;
    tables++;
    wrap.scrollLeft = wrap.scrollWidth;
    const box = wrap.getBoundingClientRect();
    const first = wrap.querySelector('tbody th[scope=row]');
    if (first && getComputedStyle(first).position === 'sticky' && first.getBoundingClientRect().left >= box.left - 1) sticky++;
    const last = wrap.querySelector('tbody tr > :last-child');
    if (last && last.getBoundingClientRect().right > document.documentElement.clientWidth + 1) outside++;
  }
  return {Tables: tables, Sticky: sticky, Outside: outside};
})()`)
			if got.Sticky != got.Tables || got.Outside > 0 {
				t.Errorf("at 390 px: %d wide tables, %d keep their first column in view, %d leave their last column outside the screen", got.Tables, got.Sticky, got.Outside)
			}
			eval[bool](t, b, `(() => { document.querySelectorAll('.report .table-wrap').forEach(w => w.scrollLeft = w.scrollWidth / 2); return true; })()`)
			b.screenshot(t, p.name+"-390-scrolled")
			b.assertClean(t, p.path+" (phone)")
			b.viewport(t, false)
		})
	}
}
