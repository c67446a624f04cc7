package gracehttp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/leakcheck"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		childMain()
		return
	}
	leakcheck.Main(m)
}

// listen opens a listener on a free loopback port.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startServer starts s outside an app and stops it (with a generous deadline) at cleanup.
func startServer(t testing.TB, s *gracehttp.Server) string {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return "http://" + s.Addrs()[0].String()
}

// runApp runs app in a goroutine; the returned func waits for the report.
func runApp(t testing.TB, app *grace.App) func() *grace.Report {
	t.Helper()
	type result struct {
		rep *grace.Report
		err error
	}
	ch := make(chan result, 1)
	go func() {
		rep, err := app.Run(context.Background())
		ch <- result{rep, err}
	}()
	select {
	case <-app.Await(grace.PhaseReady):
	case <-time.After(10 * time.Second):
		t.Fatal("app not ready after 10s")
	}
	var res *result
	t.Cleanup(func() {
		app.Stop("test cleanup")
		if res == nil {
			r := <-ch
			res = &r
		}
	})
	return func() *grace.Report {
		if res == nil {
			select {
			case r := <-ch:
				res = &r
			case <-time.After(30 * time.Second):
				t.Fatal("app did not stop within 30s")
			}
		}
		return res.rep
	}
}

// client returns a keep-alive client that closes its connections at cleanup.
func client(t testing.TB) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// get does one request and returns the status and whole body.
func get(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// within waits for ch with a deadline.
func within[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing after %v", what, d)
	}
	var zero T
	return zero
}

// payload is a body long enough to span many writes.
func payload(id string, n int) string {
	return id + ":" + strings.Repeat("x", n) + ":end"
}

func listenAddr(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
