package gracehttp3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace"
	"github.com/quic-go/quic-go/http3"
)

// ErrHardStop is the cause given to the context of a request cut at the deadline.
var ErrHardStop = errors.New("gracehttp3: request cut at the stop deadline")

// InFlightRequest is a request that was running when the stop cut it.
type InFlightRequest struct {
	Method string        `json:"method"`
	Path   string        `json:"path"`
	Age    time.Duration `json:"age_ns"`
}

func (r InFlightRequest) String() string {
	return fmt.Sprintf("%s %s (%v)", r.Method, r.Path, r.Age.Round(time.Millisecond))
}

// CutError is returned (wrapped) by [Server.Stop] when requests were still running at the cut
// point; it names them, oldest first.
type CutError struct{ Requests []InFlightRequest }

func (e *CutError) Error() string {
	parts := make([]string, 0, min(len(e.Requests), 10))
	for i, r := range e.Requests {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Requests)-i))
			break
		}
		parts = append(parts, r.String())
	}
	return fmt.Sprintf("%d in-flight requests cut at the deadline: %s", len(e.Requests), strings.Join(parts, ", "))
}

// ConfigError lists what is wrong with a Server's options. It matches [grace.ErrInvalid].
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string { return "gracehttp3: " + strings.Join(e.Problems, "; ") }

// Is reports whether target is grace.ErrInvalid.
func (e *ConfigError) Is(target error) bool { return target == grace.ErrInvalid }

type request struct {
	method, path string
	start        time.Time
	cancel       context.CancelCauseFunc
}

type drainingKey struct{}

// Draining returns a channel closed when the server that serves the request whose context is ctx
// starts draining; nil (never closed) for a context of another server.
func Draining(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(drainingKey{}).(chan struct{})
	return ch
}

// Server is a grace component that serves an *http3.Server and drains it: [grace.Starter]
// (binds the UDP socket), [grace.Runner] (serves), [grace.Drainer], [grace.Stopper],
// [grace.Validator] and [grace.Accounter] (requests cut are lost, unit "requests").
type Server struct {
	srv *http3.Server
	cfg config

	conn     net.PacketConn
	started  atomic.Bool
	stopping atomic.Bool
	drainCh  chan struct{}
	drainOne sync.Once

	mu       sync.Mutex
	inflight map[*request]struct{}
	idle     chan struct{} // closed-and-replaced when inflight empties; see waitIdle
	lost     atomic.Int64
}

// New returns a component that serves srv (its TLSConfig and Handler must be set; Handler nil
// means http.DefaultServeMux).
func New(srv *http3.Server, opts ...Option) *Server {
	return &Server{srv: srv, cfg: newConfig(opts), drainCh: make(chan struct{}), inflight: map[*request]struct{}{}}
}

// Validate reports problems with the options and the server before anything starts.
func (s *Server) Validate() error {
	p := slices.Clone(s.cfg.problems)
	if s.srv == nil {
		p = append(p, "nil *http3.Server")
	} else {
		if s.srv.TLSConfig == nil {
			p = append(p, "the *http3.Server has no TLSConfig (HTTP/3 needs TLS)")
		}
		if s.cfg.conn == nil && s.cfg.addr == "" && s.srv.Addr == "" {
			p = append(p, "no address: give WithAddr, WithPacketConn or the server's Addr")
		}
	}
	if len(p) == 0 {
		return nil
	}
	return &ConfigError{Problems: p}
}

// Addr returns the UDP address served, once started.
func (s *Server) Addr() net.Addr {
	if s.conn == nil {
		return nil
	}
	return s.conn.LocalAddr()
}

// Start binds the UDP socket (or takes the one given) and wraps the handler. It does not serve.
func (s *Server) Start(ctx context.Context) error {
	if err := s.Validate(); err != nil {
		return err
	}
	s.conn = s.cfg.conn
	if s.conn == nil {
		addr := s.cfg.addr
		if addr == "" {
			addr = s.srv.Addr
		}
		var lc net.ListenConfig
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return fmt.Errorf("listen udp %s: %w", addr, err)
		}
		s.conn = pc
	}
	next := s.srv.Handler
	if next == nil {
		next = http.DefaultServeMux
	}
	s.srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveHTTP(w, r, next) })
	s.started.Store(true)
	return nil
}

// Run serves until the stop is over (then returns nil) or ctx ends (the hard stop).
func (s *Server) Run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(s.conn) }()
	select {
	case err := <-done:
		if s.stopping.Load() || errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		s.srv.Close()
		<-done
		return nil
	}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if app := s.cfg.app; app != nil && (r.URL.Path == s.cfg.livePath || r.URL.Path == s.cfg.readyPath) {
		ok := app.Live()
		if r.URL.Path == s.cfg.readyPath {
			ok = app.Ready()
		}
		w.Header().Set("Cache-Control", "no-store")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, app.Phase())
		return
	}
	ctx, cancel := context.WithCancelCause(context.WithValue(r.Context(), drainingKey{}, s.drainCh))
	req := &request{method: r.Method, path: r.URL.Path, start: time.Now(), cancel: cancel}
	s.mu.Lock()
	s.inflight[req] = struct{}{}
	s.mu.Unlock()
	defer func() {
		cancel(nil)
		s.mu.Lock()
		delete(s.inflight, req)
		if len(s.inflight) == 0 && s.idle != nil {
			close(s.idle)
			s.idle = nil
		}
		s.mu.Unlock()
	}()
	next.ServeHTTP(w, r.WithContext(ctx))
}

// Draining returns a channel closed when the drain begins.
func (s *Server) Draining() <-chan struct{} { return s.drainCh }

// Drain marks the start of the drain: readiness turns 503 (through the app's phase) and
// [Draining] closes. The server keeps serving. It does not wait.
func (s *Server) Drain(context.Context) error {
	s.drainOne.Do(func() { close(s.drainCh) })
	return nil
}

// Stop sends every connection a GOAWAY (the server's Shutdown), lets streams in flight finish,
// and returns once every connection has ended. At the cut point the requests still running are
// cancelled (cause [ErrHardStop]), named in a [*CutError] and counted as lost; half a margin later
// every connection is closed. The UDP socket is closed before Stop returns. Stop is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	if !s.stopping.CompareAndSwap(false, true) {
		return nil
	}
	s.Drain(ctx)
	if !s.started.Load() {
		return nil
	}
	defer s.conn.Close()
	shutCtx, cancelShut := context.WithCancel(context.Background())
	defer cancelShut()
	shut := make(chan error, 1)
	go func() { shut <- s.srv.Shutdown(shutCtx) }() // returns once every connection has closed
	var cut <-chan time.Time
	if at, ok := grace.CutAt(ctx, s.cfg.cancelMargin); ok {
		t := time.NewTimer(time.Until(at))
		defer t.Stop()
		cut = t.C
	}
	select {
	case err := <-shut:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-cut:
	case <-ctx.Done():
	}
	cutErr := s.hardStop()
	// Half a margin for the cancelled handlers to return, then close every connection.
	grace := time.NewTimer(s.cfg.cancelMargin / 2)
	defer grace.Stop()
	select {
	case <-s.waitIdle():
	case <-grace.C:
	case <-ctx.Done():
	}
	cancelShut() // Shutdown closes the server, and with it every connection
	select {
	case <-shut:
	case <-ctx.Done():
	}
	if cutErr != nil {
		return cutErr
	}
	return context.Cause(ctx)
}

// waitIdle returns a channel closed once no request runs.
func (s *Server) waitIdle() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	if len(s.inflight) == 0 {
		close(ch)
		return ch
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	return s.idle
}

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
	s.cfg.logger.Error("gracehttp3: requests cut at the deadline", "server", s.cfg.name, "count", len(e.Requests), "requests", e.Requests)
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
