package gracefasthttp

import "context"

// Draining returns a channel closed when the server starts draining: a handler doing long work
// (a stream, a long poll) can wrap up early. RequestCtx.Done closing is the hard cancel.
func (s *Server) Draining() <-chan struct{} { return s.drainCh }

// Drain starts the drain: readiness turns 503 (through the app's phase), responses carry
// "Connection: close", [Server.Draining] closes and the quiet period starts counting. The server
// keeps accepting and serving. Drain does not wait.
func (s *Server) Drain(context.Context) error {
	s.drainOne.Do(func() {
		s.draining.Store(true)
		close(s.drainCh)
		s.quiet.Begin()
	})
	return nil
}

// Quiet returns a channel closed once, while draining, no request has arrived for the quiet
// period; nil (never quiet) without [WithQuietPeriod].
func (s *Server) Quiet() <-chan struct{} { return s.quiet.Done() }
