package gracehttp

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace/internal/httpdrain"
)

// trackedConn is every connection the server accepts. It is what net/http sees as the
// connection (inside TLS, when TLS is on), so its Close — by net/http, by a handler that
// hijacked it, or by Stop — is the event that ends it.
type trackedConn struct {
	net.Conn
	s *Server
	// outer, hijacked and served are guarded by s.mu. (The fields are in this order so that the
	// struct stays within 64 bytes, an allocation size class.)
	outer net.Conn // what handlers see: the *tls.Conn over TLS, else the conn itself

	closed atomic.Bool
	// state is the last http.ConnState net/http reported (StateNew is 0) in its low stateBits,
	// and the watch's tick when it was reported above them (see watch).
	state atomic.Uint32
	// readAt is, once the connection has turned idle, the watch's tick when the first bytes of
	// the next request arrived, with readSet; 0 until then.
	readAt atomic.Uint32
	flags  atomic.Uint32 // connH2, connDetached, connUntracked, connShut
	// claim settles, once the stop has begun, who has an idle connection: a request that was
	// read on it or the stop closing it. See Server.closeIdleConn.
	claim httpdrain.Claim

	hijacked bool
	served   bool // net/http's goroutine for it has ended (StateClosed) or handed it over
}

// Connection flags, in trackedConn.flags (one word, so that tracking a connection stays within
// its allocation size class).
const (
	// connH2: it carried an HTTP/2 request.
	connH2 uint32 = 1 << iota
	// connDetached: hijacked, and the handler that hijacked it returned before the hard stop.
	connDetached
	// connUntracked: Stop took it out of the server's set to end it (idle at the stop, see
	// closeIdle): its Close and its last state change need not touch the set again.
	connUntracked
	// connShut: Close has closed it.
	connShut
)

func (c *trackedConn) is(flag uint32) bool { return c.flags.Load()&flag != 0 }

// stateBits hold an http.ConnState in trackedConn.state; the tick is above them.
const (
	stateBits = 3
	stateMask = 1<<stateBits - 1
)

func (c *trackedConn) connState() http.ConnState { return http.ConnState(c.state.Load() & stateMask) }

// setState records st, reported at tick.
func (c *trackedConn) setState(st http.ConnState, tick uint32) {
	c.state.Store(tick<<stateBits | uint32(st))
}

// Read reads from the connection and, for the watch, notes when the first bytes of a request
// arrive on an idle connection: its header's time starts then.
func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.s.watch.tick > 0 && c.readAt.Load() == 0 && c.connState() == http.StateIdle {
		c.readAt.Store(readSet | c.s.watch.now()&tickMask)
	}
	return n, err
}

// Close closes the connection once; later calls return nil.
func (c *trackedConn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	err := c.Conn.Close()
	// One atomic step both marks the connection shut and reads whether the stop's pass took it
	// out of the set (closeIdle does the converse): exactly one of the two sees the other, so a
	// connection closed as the pass finds it is counted down once or not counted at all.
	if c.flags.Or(connShut)&connUntracked != 0 {
		c.s.idleClosed()
	} else {
		c.s.connClosed(c)
	}
	return err
}

// endRead makes the read net/http's goroutine waits in fail at once, with a read deadline in the
// past: net/http closes the connection, as when its own deadline expires. On a connection the
// stop took out of the set, the deadline stays in the past (see SetReadDeadline).
func (c *trackedConn) endRead() { _ = c.Conn.SetReadDeadline(time.Unix(1, 0)) }

// SetReadDeadline sets the read deadline, except on a connection the stop is ending (endRead):
// there every deadline net/http sets — it sets one before each wait for a request, and clears
// it while reading one — stays in the past. Checked after setting it, so that a deadline set
// just as the stop marks the connection cannot outlast endRead's.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	err := c.Conn.SetReadDeadline(t)
	if c.is(connUntracked) {
		c.endRead()
	}
	return err
}

// SetDeadline sets both deadlines, the read one as SetReadDeadline does.
func (c *trackedConn) SetDeadline(t time.Time) error {
	err := c.Conn.SetDeadline(t)
	if c.is(connUntracked) {
		c.endRead()
	}
	return err
}

// CloseWrite half-closes the connection when the underlying one can, so net/http's lingering
// close on error paths keeps working.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps sendfile and splice available to responses.
func (c *trackedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(c.Conn, r)
}

// unwrapConn finds the tracked connection under what net/http passes to ConnState.
func unwrapConn(c net.Conn) *trackedConn {
	switch c := c.(type) {
	case *trackedConn:
		return c
	case *tls.Conn:
		tc, _ := c.NetConn().(*trackedConn)
		return tc
	}
	return nil
}

// listener tracks what it accepts. Close is idempotent so that both Stop and net/http may call it.
type listener struct {
	net.Listener
	s    *Server
	once sync.Once
	err  error
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, s: l.s}
	tc.setState(http.StateNew, l.s.watch.now())
	tc.outer = tc
	l.s.connOpened(tc)
	return tc, nil
}

func (l *listener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
