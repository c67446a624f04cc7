package gracefasthttp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Connection states, as fasthttp reports them to ConnState.
const (
	connNew int32 = iota
	connActive
	connIdle
	connClosed
)

// Claims on an idle connection while the server stops: a request read on it, or the stop
// closing it. Exactly one wins.
const (
	claimNone int32 = iota
	claimRequest
	claimClose
)

// closeIdleConn closes an idle connection during the stop unless a request read on it has
// claimed it (see Server.handle).
func closeIdleConn(c *trackedConn) {
	if c.claim.CompareAndSwap(claimNone, claimClose) {
		c.Close()
	}
}

// trackedConn is an accepted connection the server knows the state of.
type trackedConn struct {
	net.Conn
	state    atomic.Int32
	claim    atomic.Int32 // once the stop began: claimRequest or claimClose, see closeIdleConn
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
