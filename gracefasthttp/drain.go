package gracefasthttp

import (
	"context"
	"time"
)

// Draining returns a channel closed when the server starts draining: a handler doing long work
// (a stream, a long poll) can wrap up early. RequestCtx.Done closing is the hard cancel.
func (s *Server) Draining() <-chan struct{} { return s.drainCh }

// Drain starts the drain: readiness turns 503 (through the app's phase), responses carry
// "Connection: close", [Server.Draining] closes and the quiet period starts counting. The server
// keeps accepting and serving. Drain does not wait.
func (s *Server) Drain(context.Context) error {
	s.drainOne.Do(func() {
		s.lastArrival.Store(time.Now().UnixNano())
		s.draining.Store(true)
		close(s.drainCh)
		if s.cfg.quiet > 0 {
			s.mu.Lock()
			s.quietTimer = time.AfterFunc(s.cfg.quiet, s.checkQuiet)
			s.mu.Unlock()
		}
	})
	return nil
}

// Quiet returns a channel closed once, while draining, no request has arrived for the quiet
// period; nil (never quiet) without [WithQuietPeriod].
func (s *Server) Quiet() <-chan struct{} {
	if s.cfg.quiet <= 0 {
		return nil
	}
	return s.quietCh
}

func (s *Server) checkQuiet() {
	last := time.Unix(0, s.lastArrival.Load())
	if wait := s.cfg.quiet - time.Since(last); wait > 0 && s.flight.active.Load() >= 0 {
		s.mu.Lock()
		if !s.stopping.Load() {
			s.quietTimer.Reset(wait)
		}
		s.mu.Unlock()
		return
	}
	s.quietOnce.Do(func() { close(s.quietCh) })
}
