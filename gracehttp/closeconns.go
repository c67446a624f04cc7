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
	st := http.ConnState(c.state.Load())
	if c.hijacked || (st != http.StateNew && st != http.StateIdle) {
		return false, false
	}
	if st == http.StateNew && pending(c.Conn) {
		return false, true
	}
	return true, false
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
