package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// Starting a source's collection from the freshness strip, and following it: POST
// /admin/kilder/:id/start asks the scheduler for a run now (Deps.Collections) and leads to
// /admin/kilder/:id, the source's recent runs from collector_runs, which reloads itself every few
// seconds while a run is under way (a meta refresh: the CSP allows no inline script without the
// nonce, and none is needed). Admins only.

const (
	// SourcesPath is the sources list's address; a source's runs are below it.
	SourcesPath = "/admin/kilder"
	// runsShown bounds the runs page.
	runsShown = 50
	// refreshSeconds is how often the runs page reloads while a run is under way.
	refreshSeconds = "5"
)

// Sources is the sources pages, built once by NewSources; read-only afterwards.
type Sources struct {
	cfg         config.Config
	loc         *time.Location
	log         *slog.Logger
	render      *kit.Renderer
	lang        i18n.Lang
	queries     *query.Queries
	collections kit.Collections
}

// NewSources builds the sources pages over d.
func NewSources(d Deps) *Sources {
	return &Sources{cfg: d.Config, loc: kit.Zone(d.Config), log: d.Log, render: d.Render, lang: d.Render.Lang,
		queries: d.Queries, collections: d.Collections}
}

// Scheduled tells whether id is a configured source on the schedule: only those can be started
// from the dashboard (a disabled source runs only from the command line).
func (h *Sources) Scheduled(id string) bool {
	for _, s := range h.cfg.Sources {
		if s.ID == id {
			return !s.Disabled
		}
	}
	return false
}

func (h *Sources) configured(id string) bool {
	for _, s := range h.cfg.Sources {
		if s.ID == id {
			return true
		}
	}
	return false
}

// Running tells whether a run of id is under way, in this process or (a collector_runs row) in a
// `rekkevidde collect` elsewhere, and how far it has come.
func (h *Sources) Running(l i18n.Lang, id string, recorded bool) (bool, string) {
	live := h.collections != nil && h.collections.Running(id)
	if !live && !recorded {
		return false, ""
	}
	if p, ok := h.collections.(kit.Progressor); ok && live {
		if done, total, ok := p.Progress(id); ok && total > 1 {
			return true, l.T("sources.running_progress", done, total)
		}
	}
	return true, l.T("sources.running")
}

// CanStart tells whether the dashboard can start a run of id now: a scheduler, the source on it.
func (h *Sources) CanStart(id string) bool { return h.collections != nil && h.Scheduled(id) }

// RunsURL is the address of id's runs page.
func RunsURL(id string) string { return SourcesPath + "/" + url.PathEscape(id) }

// StartURL is where a run of id is started.
func StartURL(id string) string { return RunsURL(id) + "/start" }

// sourceRunsView is the data of kit's templates/source_runs.html.
type sourceRunsView struct {
	kit.Layout
	Heading     string
	Source      string
	Running     bool
	RunningText string
	// Refresh is the meta refresh's content while a run is under way or was just started.
	Refresh    string
	StartURL   string
	StartLabel string
	// Flash: Notice once a run was started here, Warning when none can be.
	kit.Flash
	Runs kit.ListTable
}

// staleHeartbeat is scheduler.DefaultLeaseTTL: a run whose owner has not beaten for this long has
// lost its lease, and the next run of the source marks it interrupted.
const staleHeartbeat = 2 * time.Minute

// retriedNote is the note collectors.HTTPClient.NoteRetries adds to a run ("3 transient faults
// retried: 2 × HTTP 503, 1 × answer cut off"); retriedKind is one of its parts.
var (
	retriedNote = regexp.MustCompile(`^\d+ transient faults? retried: (.+)$`)
	retriedKind = regexp.MustCompile(`^(\d+) × (.+)$`)
)

// faultKeys names the kinds of transient fault collectors count (collectors/http.go) in the
// catalogue; "HTTP 503" and any kind not listed show as they came.
var faultKeys = map[string]string{
	"answer cut off":              "cut_off",
	"malformed answer":            "malformed",
	"provider asked to try again": "try_again",
	"connection reset":            "reset",
	"timeout":                     "timeout",
	"network error":               "network",
}

// splitRetries takes the transient-fault notes out of a run's notes and adds their counts up by
// kind (a source with several clients notes once per client). A line that does not parse stays a
// note, so nothing is lost.
func splitRetries(notes string) (counts map[string]int, rest string) {
	counts = map[string]int{}
	var kept []string
	for _, line := range strings.Split(notes, "\n") {
		m := retriedNote.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			kept = append(kept, line)
			continue
		}
		parsed := map[string]int{}
		for _, part := range strings.Split(m[1], ", ") {
			k := retriedKind.FindStringSubmatch(part)
			if k == nil {
				parsed = nil
				break
			}
			n, _ := strconv.Atoi(k[1]) // digits only
			parsed[k[2]] += n
		}
		if parsed == nil {
			kept = append(kept, line)
			continue
		}
		for k, n := range parsed {
			counts[k] += n
		}
	}
	return counts, strings.Join(kept, "\n")
}

// retryLines says what a run tried again, one line a kind: "2 × HTTP 503", "1 × svar avbrutt",
// "3 × skriving til ClickHouse".
func retryLines(l i18n.Lang, counts map[string]int, writes uint32) []string {
	var out []string
	for _, kind := range slices.Sorted(maps.Keys(counts)) {
		name := kind
		if key, ok := faultKeys[kind]; ok {
			name = l.T("sources.fault." + key)
		}
		out = append(out, l.T("sources.retried", counts[kind], name))
	}
	if writes > 0 {
		out = append(out, l.T("sources.retried", int(writes), l.T("sources.fault.clickhouse")))
	}
	return out
}

// heartbeatText says when a running run's owner last beat: "kl. 10.53.12 (for 8 s siden)".
func heartbeatText(l i18n.Lang, at, now time.Time, loc *time.Location) (string, bool) {
	age := max(now.Sub(at), 0)
	ago := l.T("sources.seconds", int(age.Seconds()))
	if age >= 2*time.Minute {
		ago = l.T("sources.minutes", int(age.Minutes()))
	}
	clock := at.In(loc).Format("15.04.05")
	if l == i18n.EN {
		clock = at.In(loc).Format("15:04:05")
	}
	return l.T("sources.heartbeat_ago", clock, ago), age >= staleHeartbeat
}

// runsTable lists runs, newest first as given.
func (h *Sources) runsTable(l i18n.Lang, source string, runs []query.SourceRun, loc *time.Location) kit.ListTable {
	t := kit.ListTable{Caption: l.T("sources.caption", source), Class: "runs", Empty: l.T("sources.none"),
		Head: kit.Heads(l, "sources.col.started", "sources.col.status", "sources.col.rows", "sources.col.window", "sources.col.mode",
			"sources.col.finished", "sources.col.heartbeat", "sources.col.owner", "sources.col.retries", "sources.col.retry_at",
			"sources.col.error", "sources.col.notes")}
	t.Head[2].Num = true
	now := time.Now()
	for _, r := range runs {
		t.Rows = append(t.Rows, kit.ListRow{Class: "run-" + r.Status, Cells: h.runCells(l, r, now, loc)})
	}
	return t
}

// runCells is how the runs page shows one run: besides what it did, who ran it, what it tried
// again, its last heartbeat while under way, and who held it if it was interrupted.
func (h *Sources) runCells(l i18n.Lang, r query.SourceRun, now time.Time, loc *time.Location) []kit.ListCell {
	counts, notes := splitRetries(r.Notes)
	status := kit.ListCell{Text: kit.KeyName(l, "sources.status", r.Status)}
	if r.Status == query.RunInterrupted {
		status.Warning = l.T("sources.held_by_unknown")
		if r.Owner != "" {
			status.Warning = l.T("sources.held_by", r.Owner)
		}
	}
	var finished, retryAt string
	if r.FinishedAt != nil {
		finished = kit.DateTime(l, *r.FinishedAt, loc)
	}
	if r.RetryAt != nil {
		retryAt = kit.DateTime(l, *r.RetryAt, loc)
	}
	var heartbeat kit.ListCell
	if r.Status == query.RunRunning && r.HeartbeatAt != nil {
		var stale bool
		heartbeat.Text, stale = heartbeatText(l, *r.HeartbeatAt, now, loc)
		if stale {
			heartbeat.Warning = l.T("sources.heartbeat_stale")
		}
	}
	owner := kit.ListCell{Text: r.Owner, Code: true, Class: "run-owner"}
	if r.Owner == "" {
		owner = kit.ListCell{Text: "–"}
	}
	return []kit.ListCell{
		{Text: kit.DateTime(l, r.StartedAt, loc), Header: true},
		status,
		{Text: l.Count(r.Rows), Num: true},
		{Text: kit.ShortDate(l, r.WindowFrom) + "–" + kit.ShortDate(l, r.WindowTo)},
		{Text: kit.KeyName(l, "sources.mode", r.Mode)},
		{Text: finished},
		heartbeat,
		owner,
		{Lines: retryLines(l, counts, r.Retries)},
		{Text: retryAt},
		{Text: kit.ClipText(kit.Redact(h.cfg, r.Error), 500), Code: true, Class: "run-error"},
		{Text: notes, Class: "run-notes"},
	}
}

func sourceID(c *fiber.Ctx) string {
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil {
		return c.Params("id")
	}
	return id
}

// RunsPage is a source's recent runs, with its Start button.
func (h *Sources) RunsPage(c *fiber.Ctx) error {
	lang := kit.LangOf(c, h.lang)
	if h.queries == nil {
		return errors.New("source runs: no query layer")
	}
	id := sourceID(c)
	runs, err := h.queries.SourceRunList(c.UserContext(), id, runsShown)
	if err != nil {
		return err
	}
	if len(runs) == 0 && !h.configured(id) {
		return h.render.Refuse(c, fiber.StatusNotFound, "error.not_found", "sources.unknown", kit.Clip(id))
	}
	v := sourceRunsView{Layout: h.render.Layout(c, lang, lang.T("sources.title", id)), Heading: lang.T("sources.title", id), Source: id}
	recorded := false
	for _, r := range runs {
		recorded = recorded || r.Status == query.RunRunning
	}
	v.Runs = h.runsTable(lang, id, runs, h.loc)
	v.Running, v.RunningText = h.Running(lang, id, recorded)
	switch {
	case !h.configured(id):
	case h.collections == nil:
		v.Warning = lang.T("sources.no_scheduler")
	case !h.Scheduled(id):
		v.Warning = lang.T("sources.disabled", id, id)
	case !v.Running:
		v.StartURL, v.StartLabel = SourcesPath+"/"+url.PathEscape(id)+"/start", lang.T("sources.start_label", id)
	}
	started := c.Query("startet") != ""
	if started {
		v.Notice = lang.T("sources.started", id)
	}
	// Reload to the plain address, so the "started" notice shows once.
	if v.Running || started {
		v.Refresh = refreshSeconds + "; url=" + SourcesPath + "/" + url.PathEscape(id)
	}
	return h.render.Send(c, "source_runs", v)
}

// Start asks the scheduler for a run of the source now.
func (h *Sources) Start(c *fiber.Ctx) error {
	id := sourceID(c)
	if h.collections == nil {
		return h.render.Refuse(c, fiber.StatusServiceUnavailable, "sources.cannot_start", "sources.no_scheduler")
	}
	if !h.configured(id) {
		return h.render.Refuse(c, fiber.StatusNotFound, "error.not_found", "sources.unknown", kit.Clip(id))
	}
	if !h.Scheduled(id) {
		return h.render.Refuse(c, fiber.StatusConflict, "sources.cannot_start", "sources.disabled", id, id)
	}
	// The id is configured and on the schedule, so the scheduler knows it: any error is ours.
	if err := h.collections.Trigger(id); err != nil {
		return fmt.Errorf("start source %s: %w", id, err)
	}
	h.log.InfoContext(c.UserContext(), "collection started from the dashboard", "source", id, "by", kit.EditorName(c))
	return c.Redirect(SourcesPath+"/"+url.PathEscape(id)+"?startet=1", fiber.StatusSeeOther)
}

// sourcesIndex lists the configured sources, each leading to its runs page (/admin/kilder/:id).
type sourcesIndexView struct {
	kit.Layout
	Sources []sourceIndexRow
}

type sourceIndexRow struct {
	ID, Type, URL string
	Disabled      bool
}

// Index lists the configured sources.
func (h *Sources) Index(c *fiber.Ctx) error {
	lang := kit.LangOf(c, h.lang)
	v := sourcesIndexView{Layout: h.render.Layout(c, lang, lang.T("nav.sources"))}
	for _, s := range h.cfg.Sources {
		v.Sources = append(v.Sources, sourceIndexRow{ID: s.ID, Type: s.Type, URL: SourcesPath + "/" + url.PathEscape(s.ID), Disabled: s.Disabled})
	}
	return h.render.Send(c, "sources_index", v)
}
