package gracehttp_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/leakcheck"
	"github.com/gracekit/grace/internal/testkit"
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

// client returns a keep-alive client that closes its connections at cleanup.
func client(t testing.TB) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// response is what testkit.Get returned.
type response struct {
	status int
	body   string
	err    error
}

// getInBackground sends n GETs of url at once, each from a goroutine, with a keep-alive client
// of its own (client); the channel receives each one's response.
func getInBackground(t testing.TB, url string, n int) <-chan response {
	t.Helper()
	c := client(t)
	responses := make(chan response, n)
	for range n {
		go func() {
			status, body, err := testkit.Get(c, url)
			responses <- response{status, body, err}
		}()
	}
	return responses
}

// payload is a body long enough to span many writes.
func payload(id string, n int) string {
	return id + ":" + strings.Repeat("x", n) + ":end"
}

func listenAddr(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
