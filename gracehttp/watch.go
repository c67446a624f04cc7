package gracehttp

import (
	"net/http"
	"sync/atomic"
	"time"
)

// watch enforces the safe-default timeouts ([WithSafeDefaults]) over the server's set of
// connections instead of through net/http's own fields, which set and clear a read deadline two
// or three times per request (each a clock reading and a timer operation in the runtime, a few
// percent of a small handler's throughput). Connections record, in words they already update,
// the watch's tick at their last state change and at the first bytes of a request on an idle
// connection; every tick (a tenth of the shorter timeout), one pass over the set finds those
// that overstayed and sets their read deadline in the past — what net/http's own deadline does
// when it expires: the read waiting on the connection fails and net/http closes it. A connection
// is thus closed between its timeout and its timeout plus two ticks, never before:
//
//   - header: a new connection whose first request's header is not in within the
//     read-header timeout of its accept, and an idle one whose next request's header is not in
//     within it from the request's first bytes;
//   - idle: an idle keep-alive connection on which no request begins within the idle timeout.
//
// Servers that speak HTTP/2 keep net/http's fields (its HTTP/2 server times idle connections
// out itself, with a GOAWAY), and so does a timeout the user set.
type watch struct {
	header, idle time.Duration // 0: not watched
	tick         time.Duration // 0: the watch is off
	ticks        atomic.Uint32
	stop         chan struct{} // closed to end the watch; nil when it never started
	done         chan struct{} // closed when it has ended
}

// tickBits is how much of a tick a connection records: ticks are compared modulo 1<<tickBits,
// far more than any timeout spans.
const (
	tickBits = 32 - stateBits
	tickMask = 1<<tickBits - 1
	readSet  = 1 << 31 // in trackedConn.readAt: the first bytes have arrived
)

// now returns the current tick (0 when the watch is off).
func (w *watch) now() uint32 { return w.ticks.Load() }

// overstayed reports whether more than limit has passed since stamp, a tick recorded by a
// connection, now being the current tick. The count went up at least a tick apart (see
// watchConns) and went from stamp to stamp+1 after the moment recorded: at least elapsed-1
// ticks have passed since.
func (w *watch) overstayed(now, stamp uint32, limit time.Duration) bool {
	elapsed := (now - stamp) & tickMask
	return limit > 0 && time.Duration(elapsed)-1 >= (limit+w.tick-1)/w.tick
}

// startWatch starts the watch when Start left a timeout to it.
func (s *Server) startWatch() {
	w := &s.watch
	if w.header <= 0 && w.idle <= 0 {
		return
	}
	shortest := w.header
	if shortest <= 0 || (w.idle > 0 && w.idle < shortest) {
		shortest = w.idle
	}
	w.tick = max(shortest/10, time.Millisecond)
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go s.watchConns()
}

// stopWatch ends the watch and waits for it; it does nothing when the watch never started.
func (s *Server) stopWatch() {
	if s.watch.stop == nil {
		return
	}
	close(s.watch.stop)
	<-s.watch.done
}

// watchConns counts the ticks and sweeps at each. The timer is set again only once a sweep is
// done, so ticks are at least a tick apart, which overstayed relies on.
func (s *Server) watchConns() {
	defer close(s.watch.done)
	t := time.NewTimer(s.watch.tick)
	defer t.Stop()
	for {
		select {
		case <-s.watch.stop:
			return
		case <-t.C:
			s.sweep(s.watch.ticks.Add(1))
			t.Reset(s.watch.tick)
		}
	}
}

// sweep ends the connections that overstayed a watched timeout at tick now.
func (s *Server) sweep(now uint32) {
	w := &s.watch
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		st := c.state.Load()
		var late bool
		switch http.ConnState(st & stateMask) {
		case http.StateNew:
			late = w.overstayed(now, st>>stateBits, w.header)
		case http.StateIdle:
			if c.hijacked || c.is(connH2) {
				continue
			}
			if r := c.readAt.Load(); r != 0 {
				// A request is on its way: the idle time is over, the header's is running (or
				// net/http's own ReadHeaderTimeout, when the user set it).
				late = w.overstayed(now, r&tickMask, w.header)
			} else {
				late = w.overstayed(now, st>>stateBits, w.idle)
			}
		}
		if late {
			// As net/http's own deadline: the read fails and net/http closes the connection.
			// A deadline net/http sets afterwards (a request just read) clears it; if the
			// connection still overstays, the next pass sets it again.
			c.endRead()
		}
	}
}
