package gracehttp

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace"
)

// Server drains an *http.Server without losing a request. It is a grace component: add it to an
// app with app.Add. It implements grace.Starter, grace.Runner, grace.Drainer, grace.Quieter and
// grace.Stopper:
//
//   - Start binds the listeners (unless given) and serves on each in a goroutine.
//   - Run returns the error of a Serve that failed while the app ran, which stops the app.
//   - Drain (the app's drain delay begins) marks the server draining: it keeps accepting and
//     serving, every response carries "Connection: close" (HTTP/1) or makes the connection send
//     GOAWAY (HTTP/2), optionally spread over time ([WithCloseSpread]), and the channel returned
//     by [Draining] for each request's context closes.
//   - Quiet closes once no request has arrived for the quiet period ([WithQuietPeriod]).
//   - Stop stops intake, waits for running requests and connections, and returns the moment the
//     last one ends; near its deadline it cancels request contexts, then closes every connection.
//   - Account (a grace.Accounter) counts the requests the stop cut as lost: the app's report
//     shows them, and its exit code is grace.ExitLost.
//
// Start takes over the http.Server's Handler (wrapping it), ConnState, ConnContext and
// BaseContext, and, on a server that speaks HTTP/2, its keep-alive setting; the user's
// ConnState, ConnContext and BaseContext still run. Use the http.Server only through the Server
// from then on.
type Server struct {
	srv     *http.Server
	cfg     config
	handler http.Handler
	health  http.Handler
	flight  *flight
	log     *slog.Logger
	h2      bool

	draining  atomic.Bool
	stopping  atomic.Bool
	rejecting atomic.Bool
	drainOnce sync.Once
	drainCh   chan struct{}
	drainAt   atomic.Int64 // since flight.epoch
	arrival   atomic.Int64 // last non-exempt arrival while draining, since flight.epoch
	quietCh   chan struct{}
	quietT    *time.Timer
	wake      chan struct{}
	failed    chan struct{}
	done      chan struct{}
	stopOnce  sync.Once
	stopErr   error

	// Loss accounting (see Account).
	ending   atomic.Uint32 // endCut, endHijacks: what a request's end must look at, 0 for nothing
	cutEnded atomic.Int64  // requests that ended after the hard stop: cut
	cutConns atomic.Int64  // hijacked connections whose handler had returned, closed by Stop

	idleClosing atomic.Int64 // connections closeIdle took out of the set, not closed yet
	started     atomic.Bool  // Start was called

	watch watch // the safe-default timeouts, when Start leaves them to it

	mu       sync.Mutex
	lns      []*listener
	conns    map[*trackedConn]struct{}
	serving  int
	serveErr error
	cancels  []context.CancelCauseFunc
	hardErr  error // set once request contexts were cancelled
	quietSet bool
	forced   bool // every connection was closed: a closed one counts as ended
}

// The engine finds a component's lifecycle methods by type assertion; these keep them in place.
var _ interface {
	grace.Starter
	grace.Runner
	grace.Drainer
	grace.Quieter
	grace.Stopper
	grace.Accounter
	grace.Validator
} = (*Server)(nil)

type serverKey struct{}

type connKey struct{}

// New wraps srv. Nothing happens until Start. New never fails: problems with srv or opts are
// reported by [Server.Validate] (which the app calls before anything starts) and by Start.
func New(srv *http.Server, opts ...Option) *Server {
	s := &Server{
		srv:     srv,
		cfg:     newConfig(opts),
		drainCh: make(chan struct{}),
		quietCh: make(chan struct{}),
		wake:    make(chan struct{}, 1),
		failed:  make(chan struct{}),
		done:    make(chan struct{}),
		conns:   map[*trackedConn]struct{}{},
	}
	s.log = s.cfg.logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.flight = newFlight(max(s.cfg.maxTracked, 1), s.requestsIdle)
	if s.cfg.app != nil {
		s.health = Health(s.cfg.app, WithLivePath(s.cfg.livePath), WithReadyPath(s.cfg.readyPath))
	}
	return s
}

// Addrs returns the addresses the server listens on, once Start returned.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, len(s.lns))
	for i, l := range s.lns {
		out[i] = l.Addr()
	}
	return out
}
