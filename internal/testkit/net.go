package testkit

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gracekit/grace/internal/chans"
)

// ClosedAddr returns a 127.0.0.1 address where nothing listens: a port the system just handed
// out and that was closed again, so a dial there is refused. It also serves as a free port for
// a server the test starts itself.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Listener is a TCP listener on 127.0.0.1 that reports when it is closed, so a test can check
// that a server still listened at some point of its drain, or wait for the server to close it.
type Listener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

// Listen opens a [Listener] on a free 127.0.0.1 port. It is closed when the test ends, if the
// code under test has not closed it.
func Listen(t testing.TB) *Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := &Listener{Listener: l, closed: make(chan struct{})}
	t.Cleanup(func() { wl.Close() })
	return wl
}

// Close closes the listener and marks it closed. Later calls return net's error for a closed
// listener.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Closed returns a channel that is closed once Close has been called.
func (l *Listener) Closed() <-chan struct{} { return l.closed }

// IsClosed reports whether Close has been called.
func (l *Listener) IsClosed() bool { return chans.Closed(l.closed) }

// Proxy forwards TCP connections from a 127.0.0.1 port to a target until [Proxy.Blackhole]:
// from then on it keeps every connection open and accepts new ones, but forwards nothing in
// either direction — a network partition, in which calls neither fail nor get an answer.
type Proxy struct {
	ln        net.Listener
	target    string
	blackhole atomic.Bool
	wg        sync.WaitGroup // the accept loop and every pipe

	mu       sync.Mutex
	conns    []net.Conn
	isClosed bool
}

// StartProxy starts a proxy to target (host:port). It is closed when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(p.Close)
	return p
}

// Addr returns the address to dial instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Blackhole starts the partition: bytes already in flight and all that follow are dropped.
// It does not wait, and cannot be undone; [Proxy.Close] ends the partition by resetting every
// connection.
func (p *Proxy) Blackhole() { p.blackhole.Store(true) }

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.isClosed { // Close ran between Accept and here: it will not see these two
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(up, c) })
		p.wg.Go(func() { p.pipe(c, up) })
	}
}

func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.blackhole.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Close stops accepting, closes every connection (both sides see it at once, partition or
// not) and waits for the proxy's goroutines to end. It is safe to call more than once.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.isClosed = true
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
}
