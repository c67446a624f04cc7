package gracehttp

import (
	"net/http"

	"github.com/gracekit/grace"
)

// Health returns a handler for the liveness and readiness paths ([WithLivePath],
// [WithReadyPath]; default /livez and /readyz) that reads app's state:
//
//   - liveness answers 200 "live" from the start of app.Run until it returns, draining included,
//     and 503 "not live: <phase>" otherwise;
//   - readiness answers 200 "ready" only in grace.PhaseReady, and 503 "not ready: <phase>"
//     otherwise (say "not ready: draining"), so load balancers move away while the server still
//     serves.
//
// Other paths get 404. The body names the phase and nothing else. Mounting it on the server with
// [WithHealth] keeps it exempt from drain accounting by the same paths; mounted elsewhere, give
// the Server the same path options (or [WithExempt]).
func Health(app *grace.App, opts ...Option) http.Handler {
	c := newConfig(opts)
	return &health{app: app, live: c.livePath, ready: c.readyPath}
}

type health struct {
	app         *grace.App
	live, ready string
}

func (h *health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ok bool
	var good, bad string
	switch r.URL.Path {
	case h.live:
		ok, good, bad = h.app.Live(), "live\n", "not live: "
	case h.ready:
		ok, good, bad = h.app.Ready(), "ready\n", "not ready: "
	default:
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	if ok {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(good))
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(bad + h.app.Phase().String() + "\n"))
}
