package gracehttp3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/quic-go/quic-go/http3"
)

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

// Validate reports problems with the options and the server before anything starts, as a
// [*grace.ConfigError] listing each of them (the app names the component). Start checks again,
// for a Server used outside an app.
func (s *Server) Validate() error {
	if s.srv == nil {
		return s.cfg.Err("nil *http3.Server")
	}
	var server []string
	if s.srv.TLSConfig == nil {
		server = append(server, "the *http3.Server has no TLSConfig (HTTP/3 needs TLS)")
	}
	if s.cfg.conn == nil && s.cfg.addr == "" && s.srv.Addr == "" {
		server = append(server, "no address: give WithAddr, WithPacketConn or the server's Addr")
	}
	return s.cfg.Err(server...)
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
