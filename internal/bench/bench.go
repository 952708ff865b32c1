// Package bench measures the dashboard's speed and memory against the targets of issue 10 (`make
// bench`, `rekkevidde bench`). Every figure is a ratio or a bound measured in the same run on the
// same machine, so it means the same on a laptop and on a loaded CI runner: the dashboard's
// throughput against fiber serving a static body of the same size, latencies under 50 users with
// the cache warm and just after a write, a page against the ClickHouse time of its queries, the
// queries per page, a one-year page on ten years of five sites against the same page on one
// year, and the resident memory of a real `serve` process under load.
//
// It writes only to its own databases (a prefix plus _demo, _1y, _2y and _10y), which it drops and
// fills afresh on every run.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/dashboard"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/cache"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
	"github.com/innomed/rekkevidde/schemas"
)

// Targets (issue 10, "Speed and memory").
const (
	targetThroughput    = 0.5
	targetWarmP95       = 250 * time.Millisecond
	targetColdP95       = 1500 * time.Millisecond
	targetOverheadRatio = 1.2
	targetOverheadAdd   = 5 * time.Millisecond
	targetReportQueries = 15
	targetPageQueries   = 10
	targetHistoryRatio  = 1.5
	targetRSS           = 64 << 20
)

// The scale data set: five sites, ten years ending with scaleLastYear, against its last two years
// (the year a page shows and the year it is compared with) and its last year alone.
const (
	scaleLastYear = 2024
	scaleYears    = 10
	scaleSites    = 5
)

// Options say where to measure and how hard.
type Options struct {
	// Config supplies ClickHouse's address and credentials and the time zone; its database name
	// is the prefix of the bench's own databases.
	Config config.Config
	// Serve is the command that starts `rekkevidde serve` (the binary and "serve"), for the
	// memory measurement; empty skips it.
	Serve []string
	// Users is the number of concurrent users and connections (50).
	Users int
	// Duration bounds each load run; MaxRequests bounds its requests.
	Duration    time.Duration
	MaxRequests int
	// CPUProfile, when set, is where the CPU profile of the warm load run goes (go tool pprof).
	CPUProfile string
	Out        io.Writer
	Log        *slog.Logger
}

// Result is one measured figure against its target.
type Result struct {
	Name, Value, Target string
	Pass                bool
}

// bench is one run's shared state.
type bench struct {
	opts    Options
	key     []byte
	cookies []string
	cfg     config.Config
	results []Result
}

// Run measures everything and prints one line per figure as it goes; it returns the results
// (the caller decides what a FAIL means) or the error that stopped it.
func Run(ctx context.Context, opts Options) ([]Result, error) {
	if opts.Users <= 0 {
		opts.Users = 50
	}
	if opts.Duration <= 0 {
		opts.Duration = 4 * time.Second
	}
	if opts.MaxRequests <= 0 {
		opts.MaxRequests = 200_000
	}
	// The session key is text, so the `serve` process can be given it in its config file.
	raw := make([]byte, auth.MinKeyBytes)
	_, _ = rand.Read(raw)
	b := &bench{opts: opts, key: []byte(hex.EncodeToString(raw))}
	if err := b.signIn(); err != nil {
		return nil, err
	}
	prefix := opts.Config.ClickHouse.Database
	b.printf("Preparing %s_demo (the demo), %s_1y, %s_2y and %s_10y (%d sites × 1, 2 and %d years)…\n", prefix, prefix, prefix, prefix, scaleSites, scaleYears)
	demoStore, err := b.database(ctx, prefix+"_demo", func(st *store.Store) error {
		_, err := demo.Load(ctx, st, demo.Options{SiteID: b.cfg.Sites[0].ID, Location: b.cfg.Location()})
		return err
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = demoStore.Close() }()
	b.printMachine(demoStore)
	sites := make([]string, scaleSites)
	for i := range sites {
		sites[i] = fmt.Sprintf("site-%d", i+1)
	}
	oneYear, err := b.database(ctx, prefix+"_1y", func(st *store.Store) error {
		_, err := demo.LoadScale(ctx, st, demo.ScaleOptions{Sites: sites, FirstYear: scaleLastYear, LastYear: scaleLastYear})
		return err
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = oneYear.Close() }()
	twoYears, err := b.database(ctx, prefix+"_2y", func(st *store.Store) error {
		_, err := demo.LoadScale(ctx, st, demo.ScaleOptions{Sites: sites, FirstYear: scaleLastYear - 1, LastYear: scaleLastYear})
		return err
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = twoYears.Close() }()
	tenYears, err := b.database(ctx, prefix+"_10y", func(st *store.Store) error {
		_, err := demo.LoadScale(ctx, st, demo.ScaleOptions{Sites: sites, FirstYear: scaleLastYear - scaleYears + 1, LastYear: scaleLastYear})
		return err
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tenYears.Close() }()

	if err := b.queriesAndOverhead(ctx, demoStore); err != nil {
		return b.results, err
	}
	if err := b.history(ctx, oneYear, twoYears, tenYears, sites); err != nil {
		return b.results, err
	}
	if err := b.underLoad(ctx, demoStore); err != nil {
		return b.results, err
	}
	if len(opts.Serve) > 0 {
		if err := b.serveMemory(ctx, prefix+"_demo"); err != nil {
			return b.results, err
		}
	}
	return b.results, nil
}

// printMachine says what the figures were measured on: they are ratios, but a reader should know.
func (b *bench) printMachine(st *store.Store) {
	server := "unknown"
	if v, err := st.Conn().ServerVersion(); err == nil {
		server = v.Version.String()
	}
	load := "unknown"
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Fields(string(raw))[0]
	}
	b.printf("Machine: %d cores, load average %s; ClickHouse %s; %s\n", runtime.NumCPU(), load, server, runtime.Version())
}

func (b *bench) printf(format string, args ...any) { fmt.Fprintf(b.opts.Out, format, args...) }

func (b *bench) result(name, value, target string, pass bool) {
	b.results = append(b.results, Result{Name: name, Value: value, Target: target, Pass: pass})
	verdict := "PASS"
	if !pass {
		verdict = "FAIL"
	}
	b.printf("%-4s  %-58s %-26s (target %s)\n", verdict, name, value, target)
}

// benchUser is the one person the bench signs in as; every simulated user has its own session.
const benchUser = "bench"

// signIn makes the config every dashboard of the run uses and a session cookie per user.
func (b *bench) signIn() error {
	cfg := b.opts.Config
	password := make([]byte, 12)
	_, _ = rand.Read(password)
	hash, err := auth.HashPassword(fmt.Sprintf("%x", password), bcrypt.MinCost) // no one signs in with it
	if err != nil {
		return err
	}
	cfg.Auth.Users = []config.User{{Name: benchUser, PasswordHash: hash, Role: config.RoleViewer}}
	cfg.Auth.OIDC = nil
	cfg.Sources = nil
	b.cfg = cfg
	a, err := auth.New(auth.Settings{Config: cfg.Auth, Key: b.key, Log: b.opts.Log})
	if err != nil {
		return fmt.Errorf("bench: sign-in: %w", err)
	}
	for range b.opts.Users {
		s, err := a.NewSession(benchUser, auth.Viewer, auth.MethodPassword)
		if err != nil {
			return fmt.Errorf("bench: session: %w", err)
		}
		v, err := a.Encode(s)
		if err != nil {
			return fmt.Errorf("bench: session: %w", err)
		}
		b.cookies = append(b.cookies, dashboard.SessionCookie+"="+v)
	}
	return nil
}

// quiet takes the stores' migration chatter: the bench prints what it did itself.
var quiet = slog.New(slog.DiscardHandler)

// database drops name, creates and migrates it, and fills it.
func (b *bench) database(ctx context.Context, name string, fill func(*store.Store) error) (*store.Store, error) {
	ch := b.cfg.ClickHouse
	ch.Database = name
	st, err := store.Open(ctx, ch, quiet)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if err := st.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
		_ = st.Close()
		return nil, err
	}
	_ = st.Close()
	if st, err = store.Open(ctx, ch, quiet); err != nil {
		return nil, err
	}
	migrations, err := store.LoadMigrations(schemas.Files)
	if err == nil {
		_, err = st.Migrate(ctx, migrations)
	}
	if err == nil {
		err = fill(st)
	}
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("bench: prepare %s: %w", name, err)
	}
	b.printf("  %s ready in %.1f s\n", name, time.Since(began).Seconds())
	return st, nil
}

// server is a dashboard (or the static comparison) listening on a loopback port.
type server struct {
	app  *fiber.App
	base string
}

func listen(app *fiber.App) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: listen: %w", err)
	}
	go func() { _ = app.Listener(ln) }()
	return &server{app: app, base: "http://" + ln.Addr().String()}, nil
}

func (s *server) close() { _ = s.app.Shutdown() }

// dashboardOn serves the dashboard over st's database through a traced connection; with a cache
// when versions is not nil.
func (b *bench) dashboardOn(st *store.Store, sites []config.Site, c *cache.Cache, versions *cache.Versions) (*server, *tracedConn, error) {
	cfg := b.cfg
	cfg.ClickHouse.Database = st.Database()
	if sites != nil {
		cfg.Sites = sites
	}
	conn := &tracedConn{Conn: st.Conn()}
	deps := dashboard.Deps{Queries: query.New(conn), Ready: st.Ping, Config: cfg, SessionKey: b.key, Store: st, Log: b.opts.Log}
	if c != nil && versions != nil {
		deps.Cache, deps.DataVersion = c, versions.Current
	}
	srv, err := listen(dashboard.New(deps))
	return srv, conn, err
}

// user is one signed-in person sending requests one at a time.
type user struct {
	client       *http.Client
	base, cookie string
}

func (b *bench) user(srv *server) user {
	return user{client: newClient(2), base: srv.base, cookie: b.cookies[0]}
}

// timeGet is one request's wall time and its answer's size.
func (u user) timeGet(ctx context.Context, path string) (time.Duration, int, error) {
	t := time.Now()
	status, body, err := fetch(ctx, u.client, u.base+path, u.cookie)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", path, status)
	}
	return time.Since(t), len(body), err
}

// queriesAndOverhead counts the queries of every uncached page and the annual report, and sets
// an uncached /nettsted against the ClickHouse time of its queries.
func (b *bench) queriesAndOverhead(ctx context.Context, st *store.Store) error {
	srv, conn, err := b.dashboardOn(st, nil, nil, nil)
	if err != nil {
		return err
	}
	defer srv.close()
	u := b.user(srv)
	b.printf("\nQueries per uncached page (demo data):\n")
	pages := []string{"/", "/nettsted", "/sosiale-medier", "/nyhetsbrev", "/arrangementer"}
	most, mostPage := 0, ""
	for _, p := range pages {
		if _, _, err := u.timeGet(ctx, p); err != nil {
			return err
		}
		n := len(conn.take())
		b.printf("        %-20s %3d queries\n", p, n)
		if n > most {
			most, mostPage = n, p
		}
	}
	b.result("queries per dashboard page (most: "+mostPage+")", fmt.Sprintf("%d", most), fmt.Sprintf("≤ %d", targetPageQueries), most <= targetPageQueries)
	report := fmt.Sprintf("/rapporter/ar/%d", demo.ReportYear)
	if _, _, err := u.timeGet(ctx, report); err != nil {
		return err
	}
	n := len(conn.take())
	b.result("queries per uncached annual report ("+report+")", fmt.Sprintf("%d", n), fmt.Sprintf("≤ %d", targetReportQueries), n <= targetReportQueries)

	// The page against its queries' ClickHouse time, over a few requests after one to warm up.
	const rounds = 5
	if _, _, err := u.timeGet(ctx, "/nettsted"); err != nil {
		return err
	}
	conn.take()
	var wall time.Duration
	for range rounds {
		d, _, err := u.timeGet(ctx, "/nettsted")
		if err != nil {
			return err
		}
		wall += d
	}
	calls := conn.take()
	chTime, fromLog, err := serverTime(ctx, st.Conn(), calls)
	if err != nil {
		return err
	}
	source := "system.query_log"
	if !fromLog {
		// No query_log on this server: the queries' time as the driver saw it (sent to last
		// row read), which includes the loopback network and decoding and so flatters nothing.
		chTime, source = clientTime(calls), "client-side query times (no system.query_log)"
	}
	per, chPer := wall/rounds, chTime/rounds
	limit := time.Duration(float64(chPer)*targetOverheadRatio) + targetOverheadAdd
	b.result("uncached /nettsted vs its ClickHouse time", fmt.Sprintf("%s vs %s = %.2f×", ms(per), ms(chPer), float64(per)/float64(max(chPer, 1))),
		"≤ 1.2× + 5 ms", per <= limit)
	b.printf("        (ClickHouse time from %s; %d queries per page)\n", source, len(calls)/rounds)
	return nil
}

// history sets a one-year /nettsted on ten years of five sites against the same page on only the
// years it reads: the year shown and the year before, which its comparisons draw. (Against one year
// alone the ten-year page does strictly more — it has a comparison year to read and draw — so that
// pair, printed for information, mixes the cost of comparing with the cost of history.) The page is
// computed each time (every request a new address, so the page cache never answers), while
// discovery — the years with figures, which must look at the whole history — comes from the cache
// under the data version, as in production between writes; the page's own reads are what must not
// grow with history. The pair with no cache at all is printed too.
func (b *bench) history(ctx context.Context, oneYear, twoYears, tenYears *store.Store, sites []string) error {
	var cs []config.Site
	for _, s := range sites {
		cs = append(cs, config.Site{ID: s, Name: s})
	}
	page := fmt.Sprintf("/nettsted?period=year&year=%d&site=%s", scaleLastYear, sites[2])
	pair := func(base *store.Store, cached bool) (short, ten time.Duration, err error) {
		var srvs [2]*server
		for i, st := range []*store.Store{base, tenYears} {
			var c *cache.Cache
			var versions *cache.Versions
			if cached {
				c = cache.New(config.Defaults().Cache.MaxBytes)
				versions = cache.NewVersions(st.DataVersion, st.WrittenVersion, b.opts.Log)
				if err := versions.Refresh(ctx); err != nil {
					return 0, 0, err
				}
			}
			srv, _, err := b.dashboardOn(st, cs, c, versions)
			if err != nil {
				return 0, 0, err
			}
			defer srv.close()
			srvs[i] = srv
		}
		// The two take turns, request by request, so a busy moment on the machine hits both; the
		// first pair warms ClickHouse's caches (and discovery) and is not counted.
		shortU, tenU := b.user(srvs[0]), b.user(srvs[1])
		var shorts, tens []time.Duration
		for i := range 12 {
			path := fmt.Sprintf("%s&n=%d", page, i)
			d1, _, err := shortU.timeGet(ctx, path)
			if err != nil {
				return 0, 0, err
			}
			d10, _, err := tenU.timeGet(ctx, path)
			if err != nil {
				return 0, 0, err
			}
			if i > 0 {
				shorts, tens = append(shorts, d1), append(tens, d10)
			}
		}
		slices.Sort(shorts)
		slices.Sort(tens)
		return shorts[len(shorts)/2], tens[len(tens)/2], nil
	}
	two, ten, err := pair(twoYears, true)
	if err != nil {
		return err
	}
	one, tenOne, err := pair(oneYear, true)
	if err != nil {
		return err
	}
	coldTwo, coldTen, err := pair(twoYears, false)
	if err != nil {
		return err
	}
	ratio := float64(ten) / float64(two)
	b.printf("\n")
	b.result(fmt.Sprintf("1-year page, %d years × %d sites vs its 2 years", scaleYears, scaleSites),
		fmt.Sprintf("%s vs %s = %.2f×", ms(ten), ms(two), ratio), "≤ 1.5×", ratio <= targetHistoryRatio)
	b.printf("        (page computed each time, discovery cached under the data version)\n")
	b.printf("        (against 1 year alone, no comparison year: %s vs %s = %.2f×; with no cache at all: %s vs %s = %.2f×)\n",
		ms(tenOne), ms(one), float64(tenOne)/float64(one), ms(coldTen), ms(coldTwo), float64(coldTen)/float64(coldTwo))
	return nil
}

// underLoad measures the cached dashboard against fiber serving a static body of the same size,
// warm and just after a write.
func (b *bench) underLoad(ctx context.Context, st *store.Store) error {
	c := cache.New(config.Defaults().Cache.MaxBytes)
	versions := cache.NewVersions(st.DataVersion, st.WrittenVersion, b.opts.Log)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := versions.Refresh(ctx); err != nil {
		return err
	}
	go versions.Poll(pctx, cache.DefaultPoll)
	srv, _, err := b.dashboardOn(st, nil, c, versions)
	if err != nil {
		return err
	}
	defer srv.close()
	u := b.user(srv)
	_, size, err := u.timeGet(ctx, "/nettsted") // also warms the cache
	if err != nil {
		return err
	}
	static := make([]byte, size)
	for i := range static {
		static[i] = 'x'
	}
	sapp := fiber.New(fiber.Config{DisableStartupMessage: true})
	sapp.Get("/", func(c *fiber.Ctx) error { return c.Send(static) })
	ssrv, err := listen(sapp)
	if err != nil {
		return err
	}
	defer ssrv.close()

	users := b.opts.Users
	client := newClient(users)
	b.printf("\n%d connections, %s per run, /nettsted is %d bytes:\n", users, b.opts.Duration, size)
	// The two servers take turns in short runs, so that whatever else the machine is doing
	// weighs on both alike.
	const turns = 3
	var base, warm loadResult
	stopProfile, err := startProfile(b.opts.CPUProfile)
	if err != nil {
		return err
	}
	for range turns {
		base.add(drive(ctx, client, []string{ssrv.base + "/"}, nil, users, b.opts.Duration/turns, b.opts.MaxRequests/turns))
		warm.add(drive(ctx, client, []string{srv.base + "/nettsted"}, b.cookies, users, b.opts.Duration/turns, b.opts.MaxRequests/turns))
	}
	stopProfile()
	if base.failed > 0 || warm.failed > 0 {
		return fmt.Errorf("bench: %d static and %d dashboard requests failed under load", base.failed, warm.failed)
	}
	ratio := warm.perSecond() / base.perSecond()
	b.result("cached /nettsted throughput vs static fiber", fmt.Sprintf("%.0f/s vs %.0f/s = %.2f×", warm.perSecond(), base.perSecond(), ratio),
		"≥ 0.5×", ratio >= targetThroughput)
	b.result(fmt.Sprintf("%d users on /nettsted, cache warm: p95", users), ms(warm.percentile(95)), "≤ 250 ms", warm.percentile(95) <= targetWarmP95)

	// Cold: a write (the same figure again, under a new version) and at once every user asks.
	var cold loadResult
	rec := figures.WebTrafficDay{SiteID: b.cfg.Sites[0].ID, Date: time.Date(demo.FirstYear, 1, 1, 0, 0, 0, 0, time.UTC),
		Channel: "bench", Device: "bench"}
	for range 3 {
		if err := st.Write(ctx, "bench", store.NewVersion(), []figures.Record{rec}); err != nil {
			return err
		}
		r, err := burst(ctx, client, srv.base+"/nettsted", b.cookies, users)
		if err != nil {
			return err
		}
		cold.ok += r.ok
		cold.latencies = append(cold.latencies, r.latencies...)
	}
	b.result(fmt.Sprintf("%d users on /nettsted just after a write: p95", users), ms(cold.percentile(95)), "≤ 1.5 s", cold.percentile(95) <= targetColdP95)
	s := c.Stats()
	b.printf("        (cache: %d entries, %.1f MB of %.0f MB, %d computations)\n", s.Entries, float64(s.Bytes)/(1<<20), float64(s.MaxBytes)/(1<<20), s.Computes)
	return nil
}

func ms(d time.Duration) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(d.Microseconds())/1000), ".0") + " ms"
}

// startProfile writes a CPU profile to path until the returned function is called; no path, no
// profile.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}
