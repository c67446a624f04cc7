package gracefasthttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gracekit/grace/internal/quiet"
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

	quiet *quiet.Period // with WithQuietPeriod: no request (exempt ones aside) for the period
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
	}
	s.flight = newFlight(max(s.cfg.maxTracked, 1), s.nudge)
	s.quiet = quiet.New(s.cfg.quiet)
	return s
}

// Validate reports problems with the options and the server, before anything starts, as a
// [*grace.ConfigError] listing each of them (the app names the component). Start checks again,
// for a Server used outside an app.
func (s *Server) Validate() error {
	var server []string
	if s.srv == nil {
		server = append(server, "nil *fasthttp.Server")
	} else if s.srv.Handler == nil {
		server = append(server, "the *fasthttp.Server has no Handler")
	}
	if s.cfg.ln == nil && s.cfg.addr == "" {
		server = append(server, "no address: give WithAddr or WithListener")
	}
	return s.cfg.Err(server...)
}

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
