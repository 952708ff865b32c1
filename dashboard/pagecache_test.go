package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/dashboard/signin"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/cache"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

var cspNonce = regexp.MustCompile(`'nonce-([^']+)'`)

// cachedGet is one signed-in request: the page, the nonce its CSP header allows and the session.
type cachedGet struct {
	body, nonce string
	session     *auth.Session
}

func TestCachedPagesKeepPerPersonPartsApartAndFollowWrites(t *testing.T) {
	st := chtest.Open(t)
	insertQuarters(t, st, "innomed.no", 2022, report2022)
	cfg := testConfig()
	// Two people with the same role, one with a name that needs escaping, and an admin.
	cfg.Auth.Users = append(cfg.Auth.Users,
		config.User{Name: "alice", PasswordHash: testViewerHash, Role: config.RoleViewer},
		config.User{Name: `bob <b>&"`, PasswordHash: testViewerHash, Role: config.RoleViewer})
	versions := cache.NewVersions(st.DataVersion, st.WrittenVersion, quietLog())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := versions.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	go versions.Poll(ctx, 100*time.Millisecond)
	pc := cache.New(8 << 20)
	app := New(Deps{Queries: query.New(st.Conn()), Store: st, Config: cfg, Log: quietLog(), Cache: pc, DataVersion: versions.Current})
	signer, err := auth.New(auth.Settings{Config: cfg.Auth, Key: []byte(testSessionKey)})
	if err != nil {
		t.Fatal(err)
	}
	var fetchPath func(name string, role auth.Role, path string) cachedGet
	fetch := func(name string, role auth.Role) cachedGet {
		t.Helper()
		return fetchPath(name, role, "/nettsted?year=2022")
	}
	fetchPath = func(name string, role auth.Role, path string) cachedGet {
		t.Helper()
		s, err := signer.NewSession(name, role, auth.MethodPassword)
		if err != nil {
			t.Fatal(err)
		}
		cookie, err := signer.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(&http.Cookie{Name: signin.SessionCookie, Value: cookie})
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", name, resp.StatusCode)
		}
		m := cspNonce.FindStringSubmatch(resp.Header.Get("Content-Security-Policy"))
		if m == nil {
			t.Fatal("no nonce in the CSP header")
		}
		return cachedGet{body: string(body), nonce: m[1], session: s}
	}
	check := func(who string, g cachedGet, others ...cachedGet) {
		t.Helper()
		if strings.Contains(g.body, "rkvNonce") || strings.Contains(g.body, "rkvCsrf") || strings.Contains(g.body, "rkvName") {
			t.Fatalf("%s: a placeholder was sent", who)
		}
		if !strings.Contains(g.body, `nonce="`+g.nonce+`"`) {
			t.Fatalf("%s: the scripts do not carry this response's nonce", who)
		}
		for _, tok := range hiddenCSRF.FindAllStringSubmatch(g.body, -1) {
			if !g.session.CSRF.Check(tok[1]) {
				t.Fatalf("%s: a form carries a CSRF token that is not this session's", who)
			}
			for _, o := range others {
				if o.session.CSRF.Check(tok[1]) {
					t.Fatalf("%s: a form carries %s's CSRF token", who, o.session.Name)
				}
			}
		}
		for _, o := range others {
			if strings.Contains(g.body, o.nonce) {
				t.Fatalf("%s: the page carries %s's nonce", who, o.session.Name)
			}
		}
	}

	alice := fetch("alice", auth.Viewer)
	first := pc.Stats()
	bob := fetch(`bob <b>&"`, auth.Viewer)
	if s := pc.Stats(); s.Computes != first.Computes || s.Hits <= first.Hits {
		t.Fatalf("the second viewer's page was computed again (stats before %+v, after %+v)", first, s)
	}
	check("alice", alice, bob)
	check("bob", bob, alice)
	if !strings.Contains(alice.body, "<strong>alice</strong>") || strings.Contains(alice.body, "bob") {
		t.Fatal("alice's page does not name alice alone")
	}
	if !strings.Contains(bob.body, "<strong>bob &lt;b&gt;&amp;&#34;</strong>") || strings.Contains(bob.body, "alice") {
		t.Fatal("bob's page does not name bob alone, escaped")
	}
	// Apart from nonce, tokens and names, the two answers are the same page.
	norm := func(g cachedGet) string {
		b := strings.ReplaceAll(g.body, g.nonce, "N")
		b = hiddenCSRF.ReplaceAllString(b, "C")
		return strings.NewReplacer("alice", "U", "bob &lt;b&gt;&amp;&#34;", "U").Replace(b)
	}
	if norm(alice) != norm(bob) {
		t.Fatal("the cached page differs between two viewers beyond the per-person parts")
	}

	// Twenty people asking at once for a page not yet cached cost one computation.
	before := pc.Stats().Computes
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodGet, "/nettsted?year=2022&compare=year", nil)
			req.AddCookie(testSessionCookie(t, auth.Viewer))
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Error(err)
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if got := pc.Stats().Computes - before; got != 1 {
		t.Fatalf("20 identical concurrent requests ran %d computations, want 1", got)
	}

	// An admin's page has admin parts: it is never a viewer's page from the cache.
	before = pc.Stats().Computes
	admin := fetch("test-admin", auth.Admin)
	if pc.Stats().Computes == before {
		t.Fatal("the admin was served the viewers' cached page")
	}
	check("admin", admin, alice, bob)

	// The annual report is cached per role too: an editor sees the publish button.
	fetchPath("alice", auth.Viewer, "/rapporter/ar/2022")
	mid := pc.Stats().Computes
	viewerReport := fetchPath(`bob <b>&"`, auth.Viewer, "/rapporter/ar/2022")
	if pc.Stats().Computes != mid {
		t.Fatal("the second viewer's report was computed again")
	}
	check("bob's report", viewerReport)
	editorReport := fetchPath("test-editor", auth.Editor, "/rapporter/ar/2022")
	if pc.Stats().Computes == mid || strings.Contains(viewerReport.body, "/publiser") == strings.Contains(editorReport.body, "/publiser") {
		t.Fatal("the editor's report is not the editor's own (with its publish button)")
	}

	// A write through this process's store shows on the very next page.
	q1 := tableRows(alice.body)[0][1]
	insertQuarters(t, st, "innomed.no", 2022, []quarterFigures{{1, 20468, ptr(8001)}})
	if got := tableRows(fetch("alice", auth.Viewer).body)[0][1]; got == q1 {
		t.Fatalf("Q1 still shows %s after a write in this process", got)
	}
	after := tableRows(fetch("alice", auth.Viewer).body)[0][1]

	// A write by another process (its own connection) shows within five seconds.
	ccfg := chtest.Config(t)
	ccfg.Database = st.Database()
	other, err := store.Open(ctx, ccfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	insertQuarters(t, other, "innomed.no", 2022, []quarterFigures{{1, 30702, ptr(8001)}})
	wrote := time.Now()
	for tableRows(fetch("alice", auth.Viewer).body)[0][1] == after {
		if time.Since(wrote) > 5*time.Second {
			t.Fatal("another process's write was not shown within 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
