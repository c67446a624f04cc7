package gracehttp

import (
	"net"
	"net/http"
)

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
	st := c.connState()
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
	c.setState(st, s.watch.now())
	if c.is(connUntracked) {
		return // closed by Stop while idle: nothing left to track
	}
	switch st {
	case http.StateActive:
		if c.readAt.Load() != 0 {
			c.readAt.Store(0) // the request's header is in: the next one's time starts afresh
		}
		return
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
