package gracehttp

import (
	"context"
	"net"
	"net/http"
	"runtime"
)

// TrackedConnBytes measures what tracking costs per connection: the wrapper, its entry in the
// server's set, and the context value naming it, allocated for n connections.
func TrackedConnBytes(n int) uint64 {
	s := New(&http.Server{})
	ctxs := make([]context.Context, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		c := &trackedConn{s: s}
		c.outer = c
		s.connOpened(c)
		ctxs[i] = context.WithValue(context.Background(), connKey{}, c)
	}
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ctxs)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

// RaceIdleClose plays the race between the stop closing an idle keep-alive connection and a
// request read on it: the stop first (closeFirst), or the request first with the stop reaching
// the connection while the handler runs. It reports whether the handler ran and whether the
// connection was closed while it ran or before.
func RaceIdleClose(closeFirst bool) (handlerRan, closedDuring bool) {
	s := New(&http.Server{})
	c := &trackedConn{s: s, Conn: nopConn{}}
	c.outer = c
	s.connOpened(c)
	s.handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		handlerRan = true
		if !closeFirst {
			closeIdleConn(c)
		}
		closedDuring = c.closed.Load()
	})
	s.stopping.Store(true)
	if closeFirst {
		closeIdleConn(c)
	}
	r, _ := http.NewRequestWithContext(context.WithValue(context.Background(), connKey{}, c), "GET", "/", nil)
	s.serveHTTP(nil, r)
	return handlerRan, closedDuring
}

// nopConn is a connection that does nothing.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

// RaceIdleCloseAll is RaceIdleClose with the stop's first pass over the idle connections
// (closeIdle) in place of the close of one connection that turns idle. When the handler did not
// run, closedDuring says whether the stop closed the connection. It also reports whether the
// connection is still tracked afterwards.
func RaceIdleCloseAll(closeFirst bool) (handlerRan, closedDuring, tracked bool) {
	s := New(&http.Server{})
	c := &trackedConn{s: s, Conn: nopConn{}}
	c.outer = c
	c.state.Store(int32(http.StateIdle))
	s.connOpened(c)
	s.handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		handlerRan = true
		if !closeFirst {
			s.closeIdle()
		}
		closedDuring = c.closed.Load()
	})
	s.stopping.Store(true)
	if closeFirst {
		s.closeIdle()
	}
	r, _ := http.NewRequestWithContext(context.WithValue(context.Background(), connKey{}, c), "GET", "/", nil)
	s.serveHTTP(nil, r)
	if !handlerRan {
		closedDuring = c.closed.Load() // closed by the stop, before the request could run
	}
	s.mu.Lock()
	_, tracked = s.conns[c]
	s.mu.Unlock()
	return handlerRan, closedDuring, tracked
}

// LingerCloses says whether the stop's linger would close a connection that has carried no
// request yet, given as the server's side of a real connection.
func LingerCloses(nc net.Conn) (closeIt, wait bool) {
	return closesAtLinger(&trackedConn{s: New(&http.Server{}), Conn: nc})
}
