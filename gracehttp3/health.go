package gracehttp3

import (
	"fmt"
	"net/http"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/httpdrain"
)

// The health paths served with [WithHealth].
const (
	DefaultLivePath  = httpdrain.LivePath
	DefaultReadyPath = httpdrain.ReadyPath
)

// WithHealth answers liveness and readiness from app's phase, ahead of the handler, at
// [DefaultLivePath] and [DefaultReadyPath]. The body names the phase and nothing else.
func WithHealth(app *grace.App) Option { return optionFunc(func(c *config) { c.App = app }) }

// serveHealth answers r if it asks for a health path and the server serves health
// ([WithHealth]): liveness 200 while the app is live, readiness 200 while it is ready, 503
// otherwise, the body naming the phase and nothing else. It reports whether it answered.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) bool {
	app := s.cfg.App
	if app == nil || (r.URL.Path != s.cfg.LivePath && r.URL.Path != s.cfg.ReadyPath) {
		return false
	}
	ok := app.Live()
	if r.URL.Path == s.cfg.ReadyPath {
		ok = app.Ready()
	}
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, app.Phase())
	return true
}
