package gracehttp

import (
	"net/http"
	"runtime"
	"sync"
)

// closesAtLinger says whether the linger closes c: idle and never-used connections, unless a
// request has arrived on a never-used one that net/http has not read yet (a busy machine) —
// closing it would reset that request, so the stop waits for it (wait), bounded by the deadline.
func closesAtLinger(c *trackedConn) (closeIt, wait bool) {
	st := c.connState()
	if c.hijacked || (st != http.StateNew && st != http.StateIdle) {
		return false, false
	}
	if st == http.StateNew && pending(c.Conn) {
		return false, true
	}
	return true, false
}

// closeIdle ends the idle HTTP/1 connections in the one pass over the server's set that finds
// them, with no goroutine and no allocation of its own. Each leaves the set (so neither its
// Close nor net/http's last state change for it takes the server's lock again), is counted in
// idleClosing, and gets a read deadline in the past: net/http's goroutine for it, blocked
// waiting for the next request, wakes and closes the socket itself, as on its own idle timeout,
// and the last one to close wakes the stop. Closing the sockets from here instead would make
// each Close wait for that goroutine to let go of its socket, one connection after the other.
func (s *Server) closeIdle() {
	s.mu.Lock()
	s.closeIdleLocked()
	s.mu.Unlock()
}

func (s *Server) closeIdleLocked() {
	// Counted before the pass, as many as there may be, so that the count cannot reach zero
	// while the connections marked first close during the pass.
	bound := int64(len(s.conns))
	s.idleClosing.Add(bound)
	var n int64
	for c := range s.conns {
		// The claim is settled here, in the pass that finds the connection: a request read on it
		// from now on is not run (see serveHTTP); one that claimed it first keeps it tracked.
		if c.connState() == http.StateIdle && !c.hijacked && !c.is(connH2) &&
			c.claim.ForClose() {
			delete(s.conns, c)
			// A connection net/http is closing right now (its Close has marked it shut) is not
			// counted: its Close did not see it taken out, and counts nothing down (see Close).
			if c.flags.Or(connUntracked)&connShut == 0 {
				n++
				c.endRead()
			}
		}
	}
	if s.idleClosing.Add(n-bound) == 0 {
		s.poke()
	}
}

// idleClosed counts down a connection closeIdle took out of the set, once it is closed.
func (s *Server) idleClosed() {
	if s.idleClosing.Add(-1) == 0 {
		s.poke()
	}
}

// closeIdleConn closes an idle connection during the stop unless a request read on it has
// claimed it (see serveHTTP).
func closeIdleConn(c *trackedConn) {
	if c.claim.ForClose() {
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

// closeWhere closes the tracked connections for which closes returns true (it runs under s.mu).
func (s *Server) closeWhere(closes func(*trackedConn) bool) {
	s.mu.Lock()
	var cs []*trackedConn
	for c := range s.conns {
		if closes(c) {
			cs = append(cs, c)
		}
	}
	s.mu.Unlock()
	closeAll(cs, closeConn)
}
