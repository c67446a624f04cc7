package gracefasthttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace"
	"github.com/valyala/fasthttp"
)

// ErrStopped is returned by Start on a Server that has already been stopped.
var ErrStopped = errors.New("gracefasthttp: server already stopped")

// Server is a grace component that serves a *fasthttp.Server and drains it: a [grace.Starter]
// (listen), [grace.Runner] (serve), [grace.Drainer] (readiness off, Connection: close),
// [grace.Quieter] (with [WithQuietPeriod]), [grace.Stopper] (the drain) and [grace.Accounter]
// (requests cut are lost). Create it with [New].
type Server struct {
	srv *fasthttp.Server
	cfg config

	ln       *listener
	started  atomic.Bool
	draining atomic.Bool
	stopping atomic.Bool
	drainCh  chan struct{}
	drainOne sync.Once

	flight *flight
	lost   atomic.Int64

	mu    sync.Mutex
	conns map[*trackedConn]struct{}

	poke chan struct{} // a request or connection ended: Stop looks again

	lastArrival atomic.Int64 // unix nanos of the last non-exempt request, while draining
	quietCh     chan struct{}
	quietOnce   sync.Once
	quietTimer  *time.Timer
}

// New returns a component that serves srv. srv.Handler must be set before the app starts;
// srv.ConnState, if set, is still called. Problems with opts are reported by the app's
// validation (the Server is a [grace.Validator]).
func New(srv *fasthttp.Server, opts ...Option) *Server {
	s := &Server{
		srv:     srv,
		cfg:     newConfig(opts),
		drainCh: make(chan struct{}),
		conns:   map[*trackedConn]struct{}{},
		poke:    make(chan struct{}, 1),
		quietCh: make(chan struct{}),
	}
	s.flight = newFlight(max(s.cfg.maxTracked, 1), s.nudge)
	return s
}

// Validate reports problems with the options and the server, before anything starts.
func (s *Server) Validate() error {
	problems := s.cfg.problems
	if s.srv == nil {
		problems = append(problems, "nil *fasthttp.Server")
	} else if s.srv.Handler == nil {
		problems = append(problems, "the *fasthttp.Server has no Handler")
	}
	if s.cfg.ln == nil && s.cfg.addr == "" {
		problems = append(problems, "no address: give WithAddr or WithListener")
	}
	if len(problems) == 0 {
		return nil
	}
	return &ConfigError{Problems: problems}
}

// ConfigError lists what is wrong with a Server's options. It matches [grace.ErrInvalid].
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string { return fmt.Sprintf("gracefasthttp: %v", e.Problems) }

// Is reports whether target is grace.ErrInvalid.
func (e *ConfigError) Is(target error) bool { return target == grace.ErrInvalid }

// Addr returns the address the server listens on, once started; nil before.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Start binds the listener (or takes the one given) and wraps the server's handler and
// ConnState. It does not serve: Run does.
func (s *Server) Start(ctx context.Context) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.stopping.Load() {
		return ErrStopped
	}
	ln := s.cfg.ln
	if ln == nil {
		var lc net.ListenConfig
		var err error
		if ln, err = lc.Listen(ctx, "tcp", s.cfg.addr); err != nil {
			return fmt.Errorf("listen %s: %w", s.cfg.addr, err)
		}
	}
	s.ln = &listener{Listener: ln, onAccept: s.connOpened, onClose: s.connClosed}
	next, userState := s.srv.Handler, s.srv.ConnState
	s.srv.Handler = func(ctx *fasthttp.RequestCtx) { s.handle(ctx, next) }
	s.srv.ConnState = func(nc net.Conn, st fasthttp.ConnState) {
		s.connState(nc, st)
		if userState != nil {
			userState(nc, st)
		}
	}
	s.started.Store(true)
	return nil
}

// Run serves until intake is closed by Stop (then returns nil) or ctx ends (the hard stop).
func (s *Server) Run(ctx context.Context) error {
	serve := s.srv.Serve
	if s.cfg.serve != nil {
		serve = s.cfg.serve
	}
	done := make(chan error, 1)
	go func() { done <- serve(s.ln) }()
	select {
	case err := <-done:
		if s.stopping.Load() {
			return nil
		}
		return err
	case <-ctx.Done():
		s.ln.Close()
		<-done
		return nil
	}
}

// handle wraps the user's handler: health answers, tracking, and the drain's Connection: close.
func (s *Server) handle(ctx *fasthttp.RequestCtx, next fasthttp.RequestHandler) {
	path := ctx.Path()
	if s.cfg.app != nil && (string(path) == s.cfg.livePath || string(path) == s.cfg.readyPath) {
		serveHealth(ctx, s.cfg.app, s.cfg.livePath, s.cfg.readyPath)
		return
	}
	if s.cfg.exempt(path) {
		next(ctx)
		return
	}
	if s.stopping.Load() {
		// The stop may be closing this connection as idle just as this request was read on it:
		// exactly one side wins. If the stop did, the request is not run and gets no response
		// (the connection is closed here, before fasthttp could answer) — never a handler that
		// runs with its response bound for a closed connection.
		if c, ok := ctx.Conn().(*trackedConn); ok {
			if !c.claim.CompareAndSwap(claimNone, claimRequest) {
				c.Close()
				return
			}
			defer c.claim.CompareAndSwap(claimRequest, claimNone)
		}
	}
	idx := s.flight.begin(ctx)
	defer s.flight.end(idx)
	if s.draining.Load() {
		s.lastArrival.Store(ctx.Time().UnixNano())
	}
	next(ctx)
	if s.draining.Load() {
		ctx.SetConnectionClose() // keep-alive clients reconnect through the load balancer
	}
}

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

func (s *Server) connOpened(c *trackedConn) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
}

func (s *Server) connClosed(c *trackedConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.nudge()
}

func (s *Server) connState(nc net.Conn, st fasthttp.ConnState) {
	c, ok := nc.(*trackedConn)
	if !ok {
		return
	}
	switch st {
	case fasthttp.StateActive:
		c.state.Store(connActive)
	case fasthttp.StateIdle:
		c.state.Store(connIdle)
		if s.stopping.Load() {
			closeIdleConn(c) // intake is closed: an idle connection has nothing more to do
		}
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		// Hijacked connections are the handler's; fasthttp closes the others itself, through
		// trackedConn.Close. Either way the server stops counting it.
		c.state.Store(connClosed)
		s.connClosed(c)
	}
}

// nudge wakes Stop to look again.
func (s *Server) nudge() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Stop drains the server at its turn, and returns once every request and connection has ended:
//
//  1. Intake stops: the listener is closed.
//  2. Idle keep-alive connections are closed at once; connections that turn idle later are
//     closed as they do; connections that have sent nothing get [WithLinger] to do so.
//  3. Stop returns nil on the event of the last request and connection ending.
//  4. At the cut point ([grace.CutAt] with the cancel margin), the requests still running are
//     logged, counted as lost and returned in a [*CutError]; RequestCtx.Done closes for them.
//     Half a margin later their connections are closed.
//
// Stop is idempotent: a second call does nothing and returns nil.
func (s *Server) Stop(ctx context.Context) error {
	if !s.stopping.CompareAndSwap(false, true) {
		return nil
	}
	s.Drain(ctx) // a stop without a drain (rollback) still closes keep-alive connections
	s.mu.Lock()
	if s.quietTimer != nil {
		s.quietTimer.Stop()
	}
	s.mu.Unlock()
	if !s.started.Load() {
		return nil
	}
	s.ln.Close()
	s.closeIdle(false)
	linger := time.NewTimer(s.cfg.linger)
	defer linger.Stop()
	var cut, force <-chan time.Time
	if at, ok := grace.CutAt(ctx, s.cfg.cancelMargin); ok {
		t := time.NewTimer(time.Until(at))
		defer t.Stop()
		cut = t.C
	}
	var cutErr *CutError
	for {
		if s.idle() {
			if cutErr != nil {
				return cutErr
			}
			return nil
		}
		select {
		case <-s.poke:
		case <-linger.C:
			s.closeIdle(true)
		case <-cut:
			cut = nil
			cutErr = s.hardStop()
			at, _ := ctx.Deadline()
			t := time.NewTimer(time.Until(at.Add(-s.cfg.cancelMargin / 2)))
			defer t.Stop()
			force = t.C
		case <-force:
			force = nil
			s.closeAll()
		case <-ctx.Done():
			s.closeAll()
			if cutErr == nil {
				cutErr = s.hardStop()
			}
			return errors.Join(cutErr, context.Cause(ctx))
		}
	}
}

// idle reports whether no request runs and no connection is open.
func (s *Server) idle() bool {
	if s.flight.active.Load() > 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns) == 0
}

// closeIdle closes idle connections and, with fresh, those that have sent nothing since they were
// accepted.
func (s *Server) closeIdle(fresh bool) {
	for _, c := range s.snapshot() {
		switch st := c.state.Load(); {
		case st == connIdle:
			closeIdleConn(c)
		case fresh && st == connNew:
			c.Close()
		}
	}
}

func (s *Server) closeAll() {
	for _, c := range s.snapshot() {
		c.Close()
	}
}

func (s *Server) snapshot() []*trackedConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// hardStop names and counts the requests still running and closes RequestCtx.Done for them.
func (s *Server) hardStop() *CutError {
	n := s.flight.active.Load()
	if n <= 0 {
		return nil
	}
	e := &CutError{Requests: s.flight.list(), Total: int(n)}
	s.lost.Add(n)
	s.cfg.logger.Error("gracefasthttp: requests cut at the deadline", "server", s.cfg.name, "count", n, "requests", e.Requests)
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
