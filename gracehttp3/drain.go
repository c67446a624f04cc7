package gracehttp3

import "context"

// Draining returns a channel closed when the drain begins.
func (s *Server) Draining() <-chan struct{} { return s.drainCh }

// Drain marks the start of the drain: readiness turns 503 (through the app's phase) and
// [Draining] closes. The server keeps serving. It does not wait.
func (s *Server) Drain(context.Context) error {
	s.drainOne.Do(func() { close(s.drainCh) })
	return nil
}
