package gracefasthttp

import (
	"github.com/gracekit/grace"
	"github.com/valyala/fasthttp"
)

// Health returns a fasthttp handler for liveness and readiness from app's phase: at the live
// path it answers 200 while [grace.App.Live] (through the drain, so a draining instance is not
// restarted) and 503 otherwise; at the ready path, 200 only while [grace.App.Ready] — 503 from the
// first moment of the drain. Other paths get 404. The body names the phase and nothing else.
// Options other than [WithLivePath] and [WithReadyPath] are ignored.
func Health(app *grace.App, opts ...Option) fasthttp.RequestHandler {
	c := newConfig(opts)
	return func(ctx *fasthttp.RequestCtx) { serveHealth(ctx, app, c.LivePath, c.ReadyPath) }
}

// serveHealth answers a health request; it reports whether path was a health path.
func serveHealth(ctx *fasthttp.RequestCtx, app *grace.App, live, ready string) bool {
	var ok bool
	switch string(ctx.Path()) {
	case live:
		ok = app.Live()
	case ready:
		ok = app.Ready()
	default:
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		return false
	}
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetContentType("text/plain; charset=utf-8")
	if ok {
		ctx.SetStatusCode(fasthttp.StatusOK)
	} else {
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
	}
	ctx.SetBodyString(app.Phase().String() + "\n")
	return true
}
