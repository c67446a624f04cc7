package gracepgx_test

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
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// dsn returns the test server's DSN (scripts/services sets it); the tests need a real PostgreSQL.
func dsn(t testing.TB) string {
	t.Helper()
	d := os.Getenv("GRACE_TEST_PG_DSN")
	if d == "" {
		t.Fatal("GRACE_TEST_PG_DSN is not set: start PostgreSQL with scripts/services (make test does)")
	}
	return d
}

// poolConfig returns a pool config for dsn with its host and port replaced by addr, if set.
func poolConfig(t testing.TB, addr string) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	if addr != "" {
		host, port, _ := net.SplitHostPort(addr)
		cfg.ConnConfig.Host = host
		cfg.ConnConfig.Port = uint16(atoiOrZero(port))
		cfg.ConnConfig.Fallbacks = nil
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.MaxConns = 4
	return cfg
}

func atoiOrZero(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// connect opens a plain connection to the test server, for checking what the server saw.
func connect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// closedAddr returns a 127.0.0.1 address where nothing listens.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
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
