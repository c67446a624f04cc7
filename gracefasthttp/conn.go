package gracefasthttp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace/internal/httpdrain"
	"github.com/valyala/fasthttp"
)

// Connection states, as fasthttp reports them to ConnState.
const (
	connNew int32 = iota
	connActive
	connIdle
	connClosed
)

// trackedConn is an accepted connection the server knows the state of.
type trackedConn struct {
	net.Conn
	state    atomic.Int32
	claim    httpdrain.Claim // once the stop began: a request read on it, or the stop closing it
	accepted time.Time
	close    sync.Once
	onClose  func(*trackedConn)
}

// Close closes the connection once and tells the server.
func (c *trackedConn) Close() error {
	err := net.ErrClosed
	c.close.Do(func() {
		c.state.Store(connClosed)
		err = c.Conn.Close()
		c.onClose(c)
	})
	return err
}

// closeIdleConn closes an idle connection during the stop unless a request read on it has
// claimed it (see Server.handle).
func closeIdleConn(c *trackedConn) {
	if c.claim.ForClose() {
		c.Close()
	}
}

// listener hands out tracked connections.
type listener struct {
	net.Listener
	onAccept func(*trackedConn)
	onClose  func(*trackedConn)
}

func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &trackedConn{Conn: nc, accepted: time.Now(), onClose: l.onClose}
	l.onAccept(c)
	return c, nil
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
