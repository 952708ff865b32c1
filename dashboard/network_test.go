package dashboard

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// These tests go through real sockets, because what they check depends on the peer's address and
// on TLS, which app.Test cannot vary: every loopback address (127.0.0.0/8) is a distinct peer.

// listen serves app on a fresh 127.0.0.1 port, over TLS when tlsCfg is set, and returns its URL.
func listen(t *testing.T, app *fiber.App, tlsCfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme := "http"
	if tlsCfg != nil {
		ln, scheme = tls.NewListener(ln, tlsCfg), "https"
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		_ = app.Shutdown()
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return scheme + "://" + ln.Addr().String()
}

// netClient is a browser at one loopback address: it keeps cookies and does not follow redirects.
type netClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newNetClient(t *testing.T, base, from string, transport *http.Transport) *netClient {
	t.Helper()
	if transport == nil {
		transport = &http.Transport{}
	}
	transport.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &netClient{t: t, base: base, http: &http.Client{
		Transport:     transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *netClient) do(method, path string, form url.Values, headers ...string) response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

// signIn fills in and posts the sign-in form, sending headers with both requests.
func (c *netClient) signIn(name, password string, headers ...string) response {
	c.t.Helper()
	page := c.do(http.MethodGet, "/login", nil, headers...)
	if page.status != http.StatusOK {
		c.t.Fatalf("GET /login: %d", page.status)
	}
	return c.do(http.MethodPost, "/login", url.Values{
		"csrf": {csrfIn(c.t, page.body)}, "username": {name}, "password": {password}, "next": {"/test/whoami"},
	}, headers...)
}

// secureCookie tells whether the response set its cookie with the Secure attribute.
func secureCookie(r response) bool {
	cookies := (&http.Response{Header: r.header}).Cookies()
	return len(cookies) > 0 && cookies[0].Secure
}

func (c *netClient) failSignIns(n int, name string, headers ...string) {
	c.t.Helper()
	for i := range n {
		if r := c.signIn(name, "et-feil-passord", headers...); r.status != http.StatusUnauthorized {
			c.t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
}

func TestNoOneCanLockAnotherOutOfSignIn(t *testing.T) {
	base := listen(t, authApp(t, testConfig()), nil)
	guesser := newNetClient(t, base, "127.0.0.2", nil)
	guesser.failSignIns(5, "test-editor")
	if r := guesser.signIn("test-editor", "redaktor-passord-test"); r.status != http.StatusTooManyRequests {
		t.Fatalf("the guessing address, right password: %d, want 429", r.status)
	}
	owner := newNetClient(t, base, "127.0.0.1", nil)
	if r := owner.signIn("test-editor", "redaktor-passord-test"); r.status != http.StatusSeeOther {
		t.Fatalf("the owner at another address was locked out: %d\n%.300s", r.status, r.body)
	}
	if who := owner.do(http.MethodGet, "/test/whoami", nil); who.body != "test-editor editor" {
		t.Fatalf("signed in as %q", who.body)
	}
}

func TestForwardedHeadersAreBelievedOnlyFromTrustedProxies(t *testing.T) {
	cfg := testConfig()
	cfg.HTTP.TrustedProxies = []string{"127.0.0.2", "127.0.1.0/24"}
	base := listen(t, authApp(t, cfg), nil)
	https := []string{"X-Forwarded-Proto", "https"}

	t.Run("from an untrusted peer", func(t *testing.T) {
		c := newNetClient(t, base, "127.0.0.3", nil)
		r := c.do(http.MethodGet, "/login", nil, https...)
		if r.header.Get("Strict-Transport-Security") != "" || secureCookie(r) {
			t.Errorf("X-Forwarded-Proto believed from an untrusted peer: HSTS %q, Set-Cookie %q",
				r.header.Get("Strict-Transport-Security"), r.header.Get("Set-Cookie"))
		}
		// A new X-Forwarded-For on every try does not make the peer a new client.
		for i := range 5 {
			if r := c.signIn("test-viewer", "et-feil-passord", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1)); r.status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, r.status)
			}
		}
		if r := c.signIn("test-viewer", "leser-passord-for-test", "X-Forwarded-For", "198.51.100.9"); r.status != http.StatusTooManyRequests {
			t.Errorf("a forged X-Forwarded-For escaped the throttle: %d", r.status)
		}
	})

	t.Run("from a trusted proxy", func(t *testing.T) {
		proxy := newNetClient(t, base, "127.0.1.7", nil)
		r := proxy.do(http.MethodGet, "/login", nil, https...)
		if r.header.Get("Strict-Transport-Security") == "" || !secureCookie(r) {
			t.Errorf("a trusted proxy's X-Forwarded-Proto was ignored: HSTS %q, Set-Cookie %q",
				r.header.Get("Strict-Transport-Security"), r.header.Get("Set-Cookie"))
		}
		// Two proxies (127.0.0.2 in front of 127.0.1.7): the client is the entry before them.
		// What the client wrote itself further left is never believed.
		guesser := func(forged string) []string {
			return []string{"X-Forwarded-For", forged + ", 203.0.113.5, 127.0.0.2"}
		}
		for i := range 5 {
			if r := proxy.signIn("test-admin", "et-feil-passord", guesser(fmt.Sprintf("10.0.0.%d", i+1))...); r.status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, r.status)
			}
		}
		if r := proxy.signIn("test-admin", testAdminPassword, guesser("10.0.0.9")...); r.status != http.StatusTooManyRequests {
			t.Errorf("the client behind the proxies was not throttled: %d", r.status)
		}
		other := newNetClient(t, base, "127.0.1.7", nil)
		if r := other.signIn("test-admin", testAdminPassword, "X-Forwarded-For", "203.0.113.6, 127.0.0.2"); r.status != http.StatusSeeOther {
			t.Errorf("another client behind the same proxy was locked out: %d", r.status)
		}
	})
}

func TestHSTSOverTLSOnly(t *testing.T) {
	// httptest's certificate (for 127.0.0.1) and a client that trusts it.
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	certs, transport := ts.TLS.Certificates, ts.Client().Transport.(*http.Transport).Clone()
	ts.Close()

	tlsBase := listen(t, authApp(t, testConfig()), &tls.Config{Certificates: certs, MinVersion: tls.VersionTLS12})
	r := newNetClient(t, tlsBase, "127.0.0.1", transport).do(http.MethodGet, "/login", nil)
	if r.status != http.StatusOK || r.header.Get("Strict-Transport-Security") != hsts {
		t.Errorf("over TLS: %d, Strict-Transport-Security %q, want %q", r.status, r.header.Get("Strict-Transport-Security"), hsts)
	}
	if !secureCookie(r) {
		t.Errorf("over TLS the login cookie is not Secure: %q", r.header.Get("Set-Cookie"))
	}
	plainBase := listen(t, authApp(t, testConfig()), nil)
	if r := newNetClient(t, plainBase, "127.0.0.1", nil).do(http.MethodGet, "/login", nil); r.header.Get("Strict-Transport-Security") != "" {
		t.Errorf("over plain HTTP: Strict-Transport-Security %q", r.header.Get("Strict-Transport-Security"))
	}
}
