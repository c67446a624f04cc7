package gracehttp

import (
	"errors"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/httpdrain"
)

// ErrHardStop is the cause of request contexts cancelled because Stop's deadline drew near.
var ErrHardStop = errors.New("http server stop deadline reached")

// CutError is returned by [Server.Stop] (joined with any other error of the stop) when requests
// were still running at the cut point: their contexts were cancelled and their connections
// closed. It lists them, oldest first, so they land in the app's report. It matches grace.ErrCut
// and implements grace.CutError.
type CutError struct {
	Server   string
	Requests []InFlightRequest // those the table tracked, oldest first
	Total    int               // every request cut, listed or not
}

// Error names the first ten requests listed and counts the others, listed or not.
func (e *CutError) Error() string { return httpdrain.CutText(e.Total, e.Requests) }

// Is reports whether target is grace.ErrCut.
func (e *CutError) Is(target error) bool { return target == grace.ErrCut }

// Cut returns how many requests were cut (Total), and the unit "requests".
func (e *CutError) Cut() (int, string) { return e.Total, "requests" }

// hardStop cancels every request context and returns what it cut.
func (s *Server) hardStop() *CutError {
	var cut *CutError
	if n := s.flight.active.Load(); n > 0 {
		cut = &CutError{Server: s.cfg.name, Requests: s.flight.list(), Total: int(n)}
		s.log.Error("gracehttp: stop deadline near, cancelling requests", "server", s.cfg.name,
			"count", n, "requests", cut.Requests)
	}
	s.ending.Or(endCut)
	s.cancelContexts(ErrHardStop)
	return cut
}

func (s *Server) cancelContexts(cause error) {
	s.mu.Lock()
	if s.hardErr == nil {
		s.hardErr = cause
	}
	cancels := s.cancels
	s.mu.Unlock()
	for _, c := range cancels {
		c(cause)
	}
}
