package gracehttp3

import (
	"fmt"
	"slices"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/httpdrain"
)

// ErrHardStop is the cause given to the context of a request cut at the deadline. It matches
// [grace.ErrCut], the cause every adapter gives the work it cuts.
var ErrHardStop = fmt.Errorf("gracehttp3: request cut at the stop deadline: %w", grace.ErrCut)

// InFlightRequest is a request that was running when the stop cut it.
type InFlightRequest struct {
	Method string        `json:"method"`
	Path   string        `json:"path"`
	Age    time.Duration `json:"age_ns"`
}

// String names the request: method, path and age ("GET /report (1.2s)").
func (r InFlightRequest) String() string { return httpdrain.RequestName(r.Method, r.Path, r.Age) }

// CutError is returned by [Server.Stop] when requests were still running at the cut point; it
// names every one of them, oldest first, and as many are counted as lost in the server's
// account. It matches [grace.ErrCut] and is a [grace.CutError].
type CutError struct{ Requests []InFlightRequest }

func (e *CutError) Error() string { return httpdrain.CutText(len(e.Requests), e.Requests) }

// Is reports whether target is [grace.ErrCut].
func (e *CutError) Is(target error) bool { return target == grace.ErrCut }

// Cut returns the number of requests cut, and the unit "requests".
func (e *CutError) Cut() (int, string) { return len(e.Requests), "requests" }

// hardStop cancels, names and counts the requests still running.
func (s *Server) hardStop() *CutError {
	now := time.Now()
	s.mu.Lock()
	var e CutError
	for r := range s.inflight {
		r.cancel(ErrHardStop)
		e.Requests = append(e.Requests, InFlightRequest{Method: r.method, Path: r.path, Age: now.Sub(r.start)})
	}
	s.mu.Unlock()
	if len(e.Requests) == 0 {
		return nil
	}
	slices.SortFunc(e.Requests, func(a, b InFlightRequest) int { return int(b.Age - a.Age) })
	s.lost.Add(int64(len(e.Requests)))
	s.cfg.Logger.Error("gracehttp3: requests cut at the deadline", "server", s.cfg.Name, "count", len(e.Requests), "requests", e.Requests)
	return &e
}

// Account reports the requests cut as lost (unit "requests"); for a stop given up on, the
// requests still running count too.
func (s *Server) Account() grace.Account {
	lost := s.lost.Load()
	if s.stopping.Load() && lost == 0 {
		s.mu.Lock()
		lost = int64(len(s.inflight))
		s.mu.Unlock()
	}
	return grace.Account{Unit: "requests", Lost: lost}
}
