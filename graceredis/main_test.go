package graceredis_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// addr returns the test redis-server's address (scripts/services sets it).
func addr(t testing.TB) string {
	t.Helper()
	a := os.Getenv("GRACE_TEST_REDIS_ADDR")
	if a == "" {
		t.Fatal("GRACE_TEST_REDIS_ADDR is not set: start redis-server with scripts/services (make test does)")
	}
	return a
}

// newRedis returns a client for addr with no read timeout, so only the stop can end a command
// that waits on the server. The test closes it if the component did not.
func newRedis(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1, DialTimeout: 2 * time.Second, PoolSize: 4})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// closedAddr returns a 127.0.0.1 address where nothing listens.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

func newApp(opts ...grace.Option) *grace.App {
	base := []grace.Option{grace.WithSignals(), grace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	return grace.New(append(base, opts...)...)
}

// runAndStop runs app, waits until it is ready and every channel in ready is closed, stops it
// and returns what Run returned.
func runAndStop(t *testing.T, app *grace.App, ready ...<-chan struct{}) (*grace.Report, error) {
	t.Helper()
	type result struct {
		rep *grace.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := app.Run(context.Background())
		done <- result{rep, err}
	}()
	timeout := time.After(20 * time.Second)
	for _, ch := range append([]<-chan struct{}{app.Await(grace.PhaseReady)}, ready...) {
		select {
		case <-ch:
		case r := <-done:
			t.Fatalf("app stopped before it was ready: %v\n%s", r.err, r.rep)
		case <-timeout:
			t.Fatal("app not ready after 20s")
		}
	}
	app.Stop("test")
	select {
	case r := <-done:
		return r.rep, r.err
	case <-time.After(30 * time.Second):
		t.Fatal("app did not stop within 30s")
		return nil, nil
	}
}

// proxy forwards TCP connections to a target until it is told to blackhole them: then it keeps
// every connection open and accepts new ones but forwards nothing, like a network partition.
type proxy struct {
	ln        net.Listener
	target    string
	blackhole atomic.Bool
	mu        sync.Mutex
	conns     []net.Conn
	wg        sync.WaitGroup
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(up, c) })
		p.wg.Go(func() { p.pipe(c, up) })
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
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

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
