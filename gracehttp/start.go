package gracehttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// Start applies safe defaults where the http.Server has none (a read-header timeout of
// [DefaultReadHeaderTimeout] unless ReadTimeout or ReadHeaderTimeout is set; an idle timeout of
// [DefaultIdleTimeout] unless IdleTimeout or ReadTimeout is set; see [WithSafeDefaults]), listens
// on http.Server.Addr unless listeners were given (returning the error if it cannot), and starts
// serving on each listener in a goroutine, over TLS when http.Server.TLSConfig is set. It returns
// once every listener is bound: connections are accepted from then on. Start may be called once.
// A server run outside an app, which has not called [Server.Validate], gets Validate's error from
// Start, before anything is bound.
func (s *Server) Start(ctx context.Context) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.started.Swap(true) {
		return errors.New("already started")
	}

	srv := s.srv
	tlsOn := srv.TLSConfig != nil
	s.h2 = (tlsOn && (srv.Protocols == nil || srv.Protocols.HTTP2()) && (srv.TLSNextProto == nil || len(srv.TLSNextProto) > 0)) ||
		(srv.Protocols != nil && srv.Protocols.UnencryptedHTTP2())
	s.safeDefaults()
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
			return err // net's error names the address
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
	s.mu.Lock()
	for _, ln := range lns {
		l := &listener{Listener: ln, s: s}
		s.lns = append(s.lns, l)
		s.serving++
	}
	mine := s.lns
	s.mu.Unlock()
	s.startWatch()
	for _, l := range mine {
		go s.serve(l, tlsOn)
	}
	return nil
}

// safeDefaults applies the read-header and idle timeouts where the http.Server has none: to the
// http.Server's fields on a server that speaks HTTP/2, else to the watch (see watch).
func (s *Server) safeDefaults() {
	srv := s.srv
	if s.cfg.noDefaults || srv.ReadTimeout != 0 {
		return
	}
	if srv.ReadHeaderTimeout == 0 {
		if s.h2 {
			srv.ReadHeaderTimeout = s.cfg.headerTO
		} else {
			s.watch.header = s.cfg.headerTO
		}
	}
	if srv.IdleTimeout == 0 {
		if s.h2 {
			srv.IdleTimeout = s.cfg.idleTO
		} else {
			s.watch.idle = s.cfg.idleTO
		}
	}
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
		s.serveErr = fmt.Errorf("serve on %v: %w", l.Addr(), err)
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
