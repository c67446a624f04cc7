package gracehttp3

import (
	"context"
	"net/http"
	"time"
)

type request struct {
	method, path string
	start        time.Time
	cancel       context.CancelCauseFunc
}

type drainingKey struct{}

// Draining returns a channel closed when the server that serves the request whose context is ctx
// starts draining; nil (never closed) for a context of another server.
func Draining(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(drainingKey{}).(chan struct{})
	return ch
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if s.serveHealth(w, r) {
		return
	}
	ctx, cancel := context.WithCancelCause(context.WithValue(r.Context(), drainingKey{}, s.drainCh))
	req := &request{method: r.Method, path: r.URL.Path, start: time.Now(), cancel: cancel}
	s.mu.Lock()
	s.inflight[req] = struct{}{}
	s.mu.Unlock()
	defer func() {
		cancel(nil)
		s.mu.Lock()
		delete(s.inflight, req)
		if len(s.inflight) == 0 && s.idle != nil {
			close(s.idle)
			s.idle = nil
		}
		s.mu.Unlock()
	}()
	next.ServeHTTP(w, r.WithContext(ctx))
}
