package gracehttp

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"time"
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
// the connection while the handler runs. It reports whether the handler ran, whether the
// connection was closed while it ran or before, and whether the request was aborted (no response).
func RaceIdleClose(closeFirst bool) (handlerRan, closedDuring, aborted bool) {
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
	aborted = serveAborting(s, r)
	return handlerRan, closedDuring, aborted
}

// serveAborting calls serveHTTP as net/http would, and reports whether it aborted the request
// (panic(http.ErrAbortHandler): no response at all).
func serveAborting(s *Server, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	s.serveHTTP(httptest.NewRecorder(), r)
	return false
}

// nopConn is a connection that does nothing but remember whether its read deadline was set in
// the past (the stop ending it while idle).
type nopConn struct {
	net.Conn
	ended *bool
}

func (nopConn) Close() error { return nil }

func (c nopConn) SetReadDeadline(t time.Time) error {
	if c.ended != nil && !t.IsZero() && t.Before(time.Now()) {
		*c.ended = true
	}
	return nil
}

// RaceIdleCloseAll is RaceIdleClose with the stop's first pass over the idle connections
// (closeIdle) in place of the close of one connection that turns idle: closedDuring says
// whether the stop ended the connection (closed it, or woke its read with a deadline in the
// past, after which net/http closes it) while the handler ran, or, when the handler did not
// run, at all. It also reports whether the connection is still tracked afterwards.
func RaceIdleCloseAll(closeFirst bool) (handlerRan, closedDuring, tracked bool) {
	s := New(&http.Server{})
	var ended bool
	c := &trackedConn{s: s, Conn: nopConn{ended: &ended}}
	c.outer = c
	c.setState(http.StateIdle, 0)
	s.connOpened(c)
	s.handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		handlerRan = true
		if !closeFirst {
			s.closeIdle()
		}
		closedDuring = c.closed.Load() || ended
	})
	s.stopping.Store(true)
	if closeFirst {
		s.closeIdle()
	}
	r, _ := http.NewRequestWithContext(context.WithValue(context.Background(), connKey{}, c), "GET", "/", nil)
	serveAborting(s, r)
	if !handlerRan {
		closedDuring = c.closed.Load() || ended // ended by the stop, before the request could run
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

// EndedConnKeepsPastDeadline marks the server's side of a real connection as the stop's pass
// over idle connections does, then sets a read deadline (zero: none) as net/http does before it
// waits for the next request, and returns the error of a read on it, which must not wait.
func EndedConnKeepsPastDeadline(nc net.Conn) error {
	c := &trackedConn{s: New(&http.Server{}), Conn: nc}
	c.flags.Or(connUntracked)
	c.endRead()
	_ = c.SetReadDeadline(time.Time{})
	_, err := c.Read(make([]byte, 1))
	return err
}

// WithSafeTimeouts shortens the safe-default read-header and idle timeouts, for tests.
func WithSafeTimeouts(header, idle time.Duration) Option {
	return option(func(c *config) { c.headerTO, c.idleTO = header, idle })
}

// CloseDuringIdlePass plays a connection that net/http closes just as the stop's pass over the
// idle connections finds it: its Close has marked it shut and waits for the server's lock,
// which the pass holds. It returns how many connections the stop still waits for afterwards
// (none may be left: the connection is closed) and whether Close returned.
func CloseDuringIdlePass() (waitedFor int64, closed bool) {
	s := New(&http.Server{})
	c := &trackedConn{s: s, Conn: nopConn{}}
	c.outer = c
	c.setState(http.StateIdle, 0)
	s.connOpened(c)
	s.mu.Lock()
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	for !c.is(connShut) {
		runtime.Gosched()
	}
	s.closeIdleLocked()
	s.mu.Unlock()
	select {
	case <-done:
		closed = true
	case <-time.After(5 * time.Second):
	}
	return s.idleClosing.Load(), closed
}
