package gracefasthttp

import (
	"context"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/httpdrain"
)

// InFlightRequest is a request that was running when the stop cut it.
type InFlightRequest struct {
	Method string        `json:"method"`
	Path   string        `json:"path"`
	Age    time.Duration `json:"age_ns"`
}

// String names the request: method, path and age ("GET /report (1.2s)").
func (r InFlightRequest) String() string { return httpdrain.RequestName(r.Method, r.Path, r.Age) }

// CutError is returned by [Server.Stop] when requests were still running at the cut point. It
// names them, oldest first, so they land in the app's report; the same number is counted as lost
// in the server's account. It matches [grace.ErrCut] and is a [grace.CutError].
type CutError struct {
	Requests []InFlightRequest // those tracked ([WithMaxTracked]), oldest first
	Total    int               // every request cut, named or not
}

func (e *CutError) Error() string { return httpdrain.CutText(e.Total, e.Requests) }

// Is reports whether target is [grace.ErrCut].
func (e *CutError) Is(target error) bool { return target == grace.ErrCut }

// Cut returns the number of requests cut, and the unit "requests".
func (e *CutError) Cut() (int, string) { return e.Total, "requests" }

// hardStop names and counts the requests still running and closes RequestCtx.Done for them.
func (s *Server) hardStop() *CutError {
	n := s.flight.active.Load()
	if n <= 0 {
		return nil
	}
	e := &CutError{Requests: s.flight.list(), Total: int(n)}
	s.lost.Add(n)
	s.cfg.Logger.Error("gracefasthttp: requests cut at the deadline", "server", s.cfg.Name, "count", n, "requests", e.Requests)
	// fasthttp's only request cancellation is the server's done channel, which Shutdown closes;
	// with a context already done it returns at once.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.srv.ShutdownWithContext(done)
	return e
}

// Account reports the requests cut at the deadline as lost (unit "requests"), and, once Stop has
// been given up on, those still running.
func (s *Server) Account() grace.Account {
	lost := s.lost.Load()
	if s.stopping.Load() {
		// Requests still running after the cut were counted by it; those running when an
		// abandoned stop is accounted for are not coming back either.
		if active := s.flight.active.Load(); active > 0 && lost == 0 {
			lost = active
		}
	}
	return grace.Account{Unit: "requests", Lost: lost}
}
