package gracehttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace"
)

// ErrHardStop is the cause of request contexts cancelled because Stop's deadline drew near.
var ErrHardStop = errors.New("http server stop deadline reached")

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
// Start takes over the http.Server's Handler (wrapping it), ConnState, ConnContext, BaseContext
// and keep-alive setting; the user's ConnState, ConnContext and BaseContext still run. Use the
// http.Server only through the Server from then on.
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

	mu       sync.Mutex
	lns      []*listener
	conns    map[*trackedConn]struct{}
	serving  int
	serveErr error
	cancels  []context.CancelCauseFunc
	hardErr  error // set once request contexts were cancelled
	started  bool
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
} = (*Server)(nil)

type serverKey struct{}

type connKey struct{}

// New wraps srv. Nothing happens until Start. Problems with opts are returned by Start.
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
	if srv == nil {
		s.cfg.problems = append(s.cfg.problems, "http.Server must not be nil")
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

// Start applies safe defaults where the http.Server has none (ReadHeaderTimeout
// [DefaultReadHeaderTimeout] unless ReadTimeout or ReadHeaderTimeout is set; IdleTimeout
// [DefaultIdleTimeout] unless IdleTimeout or ReadTimeout is set; see [WithSafeDefaults]), listens
// on http.Server.Addr unless listeners were given (returning the error if it cannot), and starts
// serving on each listener in a goroutine, over TLS when http.Server.TLSConfig is set. It returns
// once every listener is bound: connections are accepted from then on. Start may be called once.
func (s *Server) Start(ctx context.Context) error {
	if len(s.cfg.problems) > 0 {
		return fmt.Errorf("start %s server: invalid options: %s", s.cfg.name, strings.Join(s.cfg.problems, "; "))
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return fmt.Errorf("start %s server: already started", s.cfg.name)
	}
	s.started = true
	s.mu.Unlock()

	srv := s.srv
	if tc := srv.TLSConfig; tc != nil && len(tc.Certificates) == 0 && tc.GetCertificate == nil && tc.GetConfigForClient == nil {
		return fmt.Errorf("start %s server: http.Server.TLSConfig has no certificate (set Certificates or GetCertificate)", s.cfg.name)
	}
	if !s.cfg.noDefaults && srv.ReadHeaderTimeout == 0 && srv.ReadTimeout == 0 {
		srv.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if !s.cfg.noDefaults && srv.IdleTimeout == 0 && srv.ReadTimeout == 0 {
		srv.IdleTimeout = DefaultIdleTimeout
	}
	lns := s.cfg.listeners
	if len(lns) == 0 {
		addr := srv.Addr
		if addr == "" {
			addr = ":http"
			if srv.TLSConfig != nil {
				addr = ":https"
			}
		}
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("start %s server: %w", s.cfg.name, err)
		}
		lns = []net.Listener{ln}
	}

	s.handler = srv.Handler
	if s.handler == nil {
		s.handler = http.DefaultServeMux
	}
	srv.Handler = http.HandlerFunc(s.serveHTTP)
	userState := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		s.connState(c, st)
		if userState != nil {
			userState(c, st)
		}
	}
	userBase := srv.BaseContext
	srv.BaseContext = func(ln net.Listener) context.Context {
		base := context.Background()
		if userBase != nil {
			base = userBase(ln)
		}
		ctx, cancel := context.WithCancelCause(base)
		s.mu.Lock()
		if s.hardErr != nil {
			cancel(s.hardErr)
		}
		s.cancels = append(s.cancels, cancel)
		s.mu.Unlock()
		return context.WithValue(ctx, serverKey{}, s)
	}
	userConn := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if userConn != nil {
			ctx = userConn(ctx, c)
		}
		return context.WithValue(ctx, connKey{}, unwrapConn(c))
	}
	tlsOn := srv.TLSConfig != nil
	s.h2 = (tlsOn && (srv.Protocols == nil || srv.Protocols.HTTP2()) && (srv.TLSNextProto == nil || len(srv.TLSNextProto) > 0)) ||
		(srv.Protocols != nil && srv.Protocols.UnencryptedHTTP2())

	s.mu.Lock()
	for _, ln := range lns {
		l := &listener{Listener: ln, s: s}
		s.lns = append(s.lns, l)
		s.serving++
	}
	mine := s.lns
	s.mu.Unlock()
	for _, l := range mine {
		go s.serve(l, tlsOn)
	}
	return nil
}

func (s *Server) serve(l *listener, tlsOn bool) {
	var err error
	if tlsOn {
		err = s.srv.ServeTLS(l, "", "")
	} else {
		err = s.srv.Serve(l)
	}
	s.mu.Lock()
	s.serving--
	unexpected := !s.stopping.Load() && err != nil && !errors.Is(err, http.ErrServerClosed)
	if unexpected && s.serveErr == nil {
		s.serveErr = fmt.Errorf("serve %s on %v: %w", s.cfg.name, l.Addr(), err)
		close(s.failed)
	}
	s.mu.Unlock()
	s.poke()
}

// Run waits until the server is stopped or a Serve loop fails while it should be serving, and
// then returns that failure, which stops the app.
func (s *Server) Run(ctx context.Context) error {
	select {
	case <-s.failed:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.serveErr
	case <-s.done:
		return nil
	case <-ctx.Done():
		return nil
	}
}

// Drain marks the server draining (see [Server]); it does not wait and never fails. Stop drains
// too, so Drain may be skipped. Safe to call more than once.
func (s *Server) Drain(context.Context) error {
	s.beginDrain()
	return nil
}

func (s *Server) beginDrain() {
	s.drainOnce.Do(func() {
		now := int64(time.Since(s.flight.epoch))
		s.drainAt.Store(now)
		s.arrival.Store(now)
		s.flight.sampleNow()
		s.draining.Store(true)
		close(s.drainCh)
		if s.cfg.quiet > 0 {
			s.mu.Lock()
			s.quietT = time.AfterFunc(s.cfg.quiet, s.checkQuiet)
			s.mu.Unlock()
		}
	})
}

// Quiet returns a channel that closes once no request (exempt ones aside) has arrived for the
// quiet period since the drain began, or nil when [WithQuietPeriod] is not set.
func (s *Server) Quiet() <-chan struct{} {
	if s.cfg.quiet <= 0 {
		return nil
	}
	return s.quietCh
}

func (s *Server) checkQuiet() {
	since := time.Since(s.flight.epoch) - time.Duration(s.arrival.Load())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quietSet || s.quietT == nil {
		return
	}
	if since >= s.cfg.quiet {
		s.quietSet = true
		close(s.quietCh)
		return
	}
	s.quietT.Reset(s.cfg.quiet - since)
}

// InFlight lists the requests running now (exempt ones aside), oldest first, up to the tracking
// table's size ([WithMaxTracked]). Ages are exact for requests that arrived while draining; for
// earlier ones they are lower bounds: the clock is not read on every request (it costs more than
// the rest of the tracking on some machines), so such an age is counted from the first clock
// reading after the request began — within 16 arrivals of its start, and never later than the
// drain's start.
func (s *Server) InFlight() []InFlightRequest { return s.flight.list() }

// serveHTTP is the tracking middleware around the user's handler.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.health != nil && (r.URL.Path == s.cfg.livePath || r.URL.Path == s.cfg.readyPath) {
		s.health.ServeHTTP(w, r)
		return
	}
	if s.cfg.exempt(r) {
		s.handler.ServeHTTP(w, r)
		return
	}
	if r.ProtoMajor == 2 {
		// Go's HTTP/2 server reports a connection idle when its last stream closes, before the
		// stream's last frames are written: such connections are closed only after the linger.
		if c, ok := r.Context().Value(connKey{}).(*trackedConn); ok && c != nil {
			c.flags.Or(connH2)
		}
	}
	if s.stopping.Load() {
		// An idle keep-alive connection may be closed by the stop just as a request is read on
		// it: either the request claims the connection and is served (the stop leaves the
		// connection to close after the response), or the stop claimed it first and the request
		// is not run at all — never a handler that runs and whose response cannot be sent.
		if c, ok := r.Context().Value(connKey{}).(*trackedConn); ok && c != nil {
			if !c.claim.CompareAndSwap(claimNone, claimRequest) {
				return
			}
			defer c.claim.CompareAndSwap(claimRequest, claimNone)
		}
	}
	now := int64(-1)
	if s.draining.Load() {
		now = int64(time.Since(s.flight.epoch))
		if s.whileDraining(w, now) {
			return
		}
	}
	idx := s.flight.begin(r, now)
	defer s.requestEnded(idx, r)
	s.handler.ServeHTTP(w, r)
}

// Bits of Server.ending.
const (
	endCut     uint32 = 1 << iota // the hard stop has cancelled the request contexts
	endHijacks                    // a connection was hijacked: requests look for theirs
)

// requestEnded ends a request's tracking; one load decides that there is nothing else to do.
func (s *Server) requestEnded(idx int, r *http.Request) {
	if f := s.ending.Load(); f != 0 {
		s.endAccounted(f, r)
	}
	s.flight.end(idx)
}

// endAccounted counts a request that ends after the hard stop as cut, and marks a hijacked
// connection whose handler returned uncut as the server's to account for.
func (s *Server) endAccounted(f uint32, r *http.Request) {
	if f&endCut != 0 {
		s.cutEnded.Add(1)
		return
	}
	if c, ok := r.Context().Value(connKey{}).(*trackedConn); ok && c != nil &&
		http.ConnState(c.state.Load()) == http.StateHijacked {
		c.flags.Or(connDetached)
	}
}

// whileDraining notes the arrival, asks the client to go away, and in retry-after mode answers the
// request itself (returning true).
func (s *Server) whileDraining(w http.ResponseWriter, now int64) bool {
	s.arrival.Store(now)
	if s.rejecting.Load() {
		h := w.Header()
		h.Set("Retry-After", strconv.FormatInt(int64((s.cfg.retryAfter+time.Second-1)/time.Second), 10))
		h.Set("Connection", "close")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("draining\n"))
		return true
	}
	if spread := int64(s.cfg.spread); spread > 0 {
		if elapsed := now - s.drainAt.Load(); elapsed < spread && rand.Int64N(spread) >= elapsed {
			return false
		}
	}
	w.Header().Set("Connection", "close")
	return false
}

// Draining returns a channel that closes when the server that serves the request behind ctx
// begins to drain — a soft signal for uploads, long polls and streams to wrap up early; the hard
// one is ctx's cancellation near Stop's deadline. It returns nil (never closes) for a context
// that did not come from a [Server].
func Draining(ctx context.Context) <-chan struct{} {
	if s, ok := ctx.Value(serverKey{}).(*Server); ok {
		return s.drainCh
	}
	return nil
}

func (s *Server) requestsIdle() {
	if s.stopping.Load() {
		s.poke()
	}
}

func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Server) connOpened(c *trackedConn) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
}

// connClosed runs on the first Close of c. A connection ends when it is closed and net/http's
// goroutine is done with it — or at once when it had no request on it (idle or new): that
// goroutine then has nothing left to do but notice and exit, and waiting for thousands of them to
// be scheduled would double the time to close idle connections.
func (s *Server) connClosed(c *trackedConn) {
	st := http.ConnState(c.state.Load())
	s.mu.Lock()
	finished := c.hijacked || c.served || s.forced || st == http.StateIdle || st == http.StateNew
	if finished {
		delete(s.conns, c)
	}
	s.mu.Unlock()
	if finished && s.stopping.Load() {
		s.poke()
	}
}

// connState follows net/http's view of each connection. Active and idle transitions, two per
// request, take no lock.
func (s *Server) connState(nc net.Conn, st http.ConnState) {
	c := unwrapConn(nc)
	if c == nil {
		return
	}
	c.state.Store(int32(st))
	if c.is(connUntracked) {
		return // closed by Stop while idle: nothing left to track
	}
	switch st {
	case http.StateIdle:
		if s.stopping.Load() && !c.is(connH2) {
			closeIdleConn(c)
		}
		return
	case http.StateHijacked, http.StateClosed:
	default:
		return
	}
	if st == http.StateHijacked && s.ending.Load()&endHijacks == 0 {
		s.ending.Or(endHijacks)
	}
	s.mu.Lock()
	if st == http.StateHijacked {
		c.hijacked, c.outer = true, nc
	} else {
		c.served = true
	}
	finished := c.closed.Load()
	if finished {
		delete(s.conns, c)
	}
	s.mu.Unlock()
	if finished && s.stopping.Load() {
		s.poke()
	}
}

// Stop stops the server within ctx's deadline and returns once every request and connection has
// ended — at once, on the event, not on a poll. In order:
//
//  1. Drain, if Drain was not called.
//  2. Stop intake: close the listeners (in retry-after mode, only once the requests already
//     running have finished, answering new ones 503 meanwhile), turn keep-alives off, close idle
//     connections, and, for a server that speaks HTTP/2, send GOAWAY on every HTTP/2 connection.
//     Hijacked connections are handed to the [WithGoAway] hook.
//  3. Wait for running requests and open connections. Once no request runs, connections that do
//     not close on their own are closed after the linger ([WithLinger]).
//  4. At the cut point — the deadline minus the cancel margin ([WithCancelMargin]), the margin
//     clamped to a tenth of the time left when Stop began (grace.CutAt) — cancel every request
//     context (cause [ErrHardStop]) and log the requests cut; at the deadline minus half the
//     margin, close every connection, hijacked ones included. What was cut is counted as lost
//     by [Server.Account].
//
// It returns nil when everything ended by itself, an error wrapping a [*CutError] when requests
// had to be cut, and ctx's error if even closing did not end them in time. It logs the requests
// still running after the slow-drain time ([WithSlowDrain]). Safe to call more than once; later
// calls wait for the first and return its result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.stopErr = s.stop(ctx)
		close(s.done)
	})
	<-s.done
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	s.beginDrain()
	s.stopping.Store(true)
	s.mu.Lock()
	if s.quietT != nil {
		s.quietT.Stop()
	}
	s.mu.Unlock()
	defer s.cancelContexts(context.Canceled)

	var hardC, forceC <-chan time.Time
	if cutAt, ok := grace.CutAt(ctx, s.cfg.cancelMargin); ok {
		deadline, _ := ctx.Deadline()
		hard := time.NewTimer(time.Until(cutAt))
		defer hard.Stop()
		force := time.NewTimer(time.Until(deadline.Add(-deadline.Sub(cutAt) / 2)))
		defer force.Stop()
		hardC, forceC = hard.C, force.C
	}
	slow := time.NewTimer(s.cfg.slowDrain)
	defer slow.Stop()

	var hooks sync.WaitGroup
	defer hooks.Wait() // hooks end at the latest when the force-close closes their connections
	abort := make(chan struct{})
	defer close(abort) // hooks spread over time and not yet called are not called
	// Idle connections first, in parallel (SetKeepAlivesEnabled would close them one by one);
	// a connection that turns idle from now on is closed by connState.
	s.closeIdle()
	s.srv.SetKeepAlivesEnabled(false) // every response from now on says Connection: close
	s.goAwayHijacked(&hooks, abort)
	if s.cfg.retryAfter > 0 {
		s.rejecting.Store(true)
	} else {
		s.closeIntake()
	}

	var cut *CutError
	hardDone := false
	var linger *time.Timer
	var lingerC <-chan time.Time
	lingered := false // the linger ran out since requests last ran
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	intakeOpen := s.cfg.retryAfter > 0
	for {
		active := s.flight.active.Load()
		if intakeOpen && active == 0 {
			intakeOpen = false
			s.closeIntake()
		}
		s.mu.Lock()
		conns, serving := len(s.conns), s.serving
		s.mu.Unlock()
		if active == 0 && conns == 0 && serving == 0 {
			break
		}
		switch {
		case active == 0 && linger == nil && !lingered:
			linger = time.NewTimer(s.cfg.linger)
			lingerC = linger.C
		case active > 0:
			lingered = false
			if linger != nil {
				linger.Stop()
				linger, lingerC = nil, nil
			}
		}
		select {
		case <-s.wake:
		case <-lingerC:
			linger, lingerC, lingered = nil, nil, true
			if s.flight.active.Load() == 0 {
				waiting := false
				s.closeConns(func(c *trackedConn) bool {
					closeIt, wait := closesAtLinger(c)
					waiting = waiting || wait
					return closeIt
				})
				lingered = !waiting // a request on its way: look again after another linger
			}
		case <-slow.C:
			if list := s.flight.list(); len(list) > 0 {
				s.log.Warn("gracehttp: slow drain, requests still running", "server", s.cfg.name,
					"count", s.flight.active.Load(), "requests", list)
			}
		case <-hardC:
			hardC, hardDone = nil, true
			cut = s.hardStop()
		case <-forceC:
			forceC = nil
			s.forceClose()
		case <-ctx.Done():
			if !hardDone {
				cut = s.hardStop()
			}
			s.forceClose()
			return s.stopError(cut, context.Cause(ctx))
		}
	}
	return s.stopError(cut, nil)
}

// closesAtLinger says whether the linger closes c: idle and never-used connections, unless a
// request has arrived on a never-used one that net/http has not read yet (a busy machine) —
// closing it would reset that request, so the stop waits for it (wait), bounded by the deadline.
func closesAtLinger(c *trackedConn) (closeIt, wait bool) {
	st := http.ConnState(c.state.Load())
	if c.hijacked || (st != http.StateNew && st != http.StateIdle) {
		return false, false
	}
	if st == http.StateNew && pending(c.Conn) {
		return false, true
	}
	return true, false
}

func (s *Server) stopError(cut *CutError, ctxErr error) error {
	var errs []error
	if cut != nil {
		errs = append(errs, cut)
	}
	if ctxErr != nil {
		errs = append(errs, ctxErr)
	}
	s.mu.Lock()
	if s.serveErr != nil {
		errs = append(errs, s.serveErr)
	}
	s.mu.Unlock()
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("stop %s server: %w", s.cfg.name, errors.Join(errs...))
}

// closeIntake closes the listeners and, for HTTP/2, sends GOAWAY on every connection.
func (s *Server) closeIntake() {
	s.mu.Lock()
	lns := s.lns
	s.mu.Unlock()
	for _, l := range lns {
		_ = l.Close()
	}
	if s.h2 {
		// Shutdown with a done context: wait for the Serve loops, post GOAWAY to every HTTP/2
		// connection, close idle HTTP/1 ones, and return without polling.
		done, cancel := context.WithCancel(context.Background())
		cancel()
		_ = s.srv.Shutdown(done)
	}
}

// closeIdle closes the idle HTTP/1 connections, on as many goroutines as there are CPUs. They
// leave the server's set in the same pass that finds them, so neither their Close nor net/http's
// last state change for them takes the server's lock again: closing thousands costs what
// closing their sockets costs.
func (s *Server) closeIdle() {
	s.mu.Lock()
	idle := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		// The claim is settled here, in the pass that finds the connection: a request read on it
		// from now on is not run (see serveHTTP); one that claimed it first keeps it tracked.
		if http.ConnState(c.state.Load()) == http.StateIdle && !c.hijacked && !c.is(connH2) &&
			c.claim.CompareAndSwap(claimNone, claimClose) {
			c.flags.Or(connUntracked)
			delete(s.conns, c)
			idle = append(idle, c)
		}
	}
	s.mu.Unlock()
	closeAll(idle, closeConn)
}

// closeIdleConn closes an idle connection during the stop unless a request read on it has
// claimed it (see serveHTTP).
func closeIdleConn(c *trackedConn) {
	if c.claim.CompareAndSwap(claimNone, claimClose) {
		_ = c.Close()
	}
}

// closeAll calls closeOne on every connection of cs, on as many goroutines as there are CPUs.
func closeAll(cs []*trackedConn, closeOne func(*trackedConn)) {
	workers := min(runtime.GOMAXPROCS(0), 8, len(cs)/64+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(cs); i += workers {
				closeOne(cs[i])
			}
		})
	}
	wg.Wait()
}

func closeConn(c *trackedConn) { _ = c.Close() }

func (s *Server) closeConns(keep func(*trackedConn) bool) {
	s.mu.Lock()
	var cs []*trackedConn
	for c := range s.conns {
		if keep(c) {
			cs = append(cs, c)
		}
	}
	s.mu.Unlock()
	closeAll(cs, closeConn)
}

func (s *Server) goAwayHijacked(hooks *sync.WaitGroup, abort <-chan struct{}) {
	if s.cfg.goAway == nil {
		return
	}
	s.mu.Lock()
	var hj []*trackedConn
	for c := range s.conns {
		if c.hijacked && !c.closed.Load() {
			hj = append(hj, c)
		}
	}
	s.mu.Unlock()
	if len(hj) == 0 {
		return
	}
	call := func(c *trackedConn) {
		s.mu.Lock()
		outer := c.outer
		s.mu.Unlock()
		if !c.closed.Load() {
			hooks.Go(func() { s.cfg.goAway(outer) })
		}
	}
	if s.cfg.goAwaySpread <= 0 || len(hj) == 1 {
		for _, c := range hj {
			call(c)
		}
		return
	}
	// Spread: the i-th of n connections is told at i/n of the spread.
	hooks.Go(func() {
		begin := time.Now()
		t := time.NewTimer(0)
		defer t.Stop()
		for i, c := range hj {
			t.Reset(time.Until(begin.Add(s.cfg.goAwaySpread * time.Duration(i) / time.Duration(len(hj)))))
			select {
			case <-t.C:
				call(c)
			case <-abort:
				return
			}
		}
	})
}

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

// forceClose closes every connection, hijacked ones included.
//
// A connection counts as ended from then on as soon as it is closed, without waiting for
// net/http's goroutine to finish with it: after an unread request body that goroutine may
// linger for net/http's reset-avoidance delay (half a second) before it ends on its own.
func (s *Server) forceClose() {
	s.mu.Lock()
	s.forced = true
	s.cutConns.Add(s.openDetachedLocked())
	s.mu.Unlock()
	s.closeConns(func(*trackedConn) bool { return true })
	_ = s.srv.Close()
	s.mu.Lock()
	for c := range s.conns {
		if c.closed.Load() {
			delete(s.conns, c)
		}
	}
	s.mu.Unlock()
}

// openDetachedLocked counts the hijacked connections still open whose handler returned before
// the hard stop: the work they carry is the server's to account for.
func (s *Server) openDetachedLocked() int64 {
	var n int64
	for c := range s.conns {
		if c.hijacked && c.is(connDetached) && !c.closed.Load() {
			n++
		}
	}
	return n
}
