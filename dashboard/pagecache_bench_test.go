package dashboard

import (
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/cache"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/query"
)

// BenchmarkCachedPage is a cached /nettsted through the whole middleware chain (sign-in, CSRF,
// nonce, cache lookup, filling in the per-request parts), without the network.
func BenchmarkCachedPage(b *testing.B) {
	st := chtest.Open(b)
	cfg := testConfig()
	var version uint64 = 1
	app := New(Deps{Queries: query.New(st.Conn()), Config: cfg, Log: quietLog(), Cache: cache.New(8 << 20),
		DataVersion: func() uint64 { return version }})
	cookie := testSessionCookie(b, auth.Viewer)
	handler := app.Handler()
	do := func() *fasthttp.RequestCtx {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("/nettsted")
		ctx.Request.Header.SetMethod(fasthttp.MethodGet)
		ctx.Request.Header.SetCookie(cookie.Name, cookie.Value)
		handler(&ctx)
		return &ctx
	}
	if ctx := do(); ctx.Response.StatusCode() != fasthttp.StatusOK {
		b.Fatalf("status %d", ctx.Response.StatusCode())
	}
	b.ReportAllocs()
	for b.Loop() {
		do()
	}
}
