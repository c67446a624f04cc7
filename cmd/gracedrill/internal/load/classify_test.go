package load_test

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/load"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
)

// rawServer accepts connections on 127.0.0.1 and hands each to handle.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
		}
	}()
	return ln.Addr().String()
}

// readRequest reads the request head so the server answers only after the client sent it.
func readRequest(c net.Conn) {
	_, _ = http.ReadRequest(bufio.NewReader(c))
}

// drive sends 20 requests at 200 req/s to addr and returns the recorded requests.
func drive(t *testing.T, addr string, timeout time.Duration) []record.Request {
	t.Helper()
	rec := record.New(time.Now())
	g := load.New(load.Config{
		Base: &url.URL{Scheme: "http", Host: addr}, Rate: 200, Timeout: timeout,
		Targets: []load.Target{{Weight: 1, Method: "GET", Path: "/"}},
	}, rec)
	done := make(chan struct{})
	go func() { defer close(done); g.Run() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if sent, _, _ := g.Progress(); sent >= 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	g.Stop()
	<-done
	return rec.Requests()
}

func kinds(reqs []record.Request) map[record.Kind]int {
	out := make(map[record.Kind]int)
	for _, q := range reqs {
		out[q.Kind]++
	}
	return out
}

func TestFailuresAreClassifiedFromRealSockets(t *testing.T) {
	// a port nobody listens on
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	for _, tc := range []struct {
		name    string
		addr    string
		timeout time.Duration
		want    record.Kind
	}{
		{"refused", closed, time.Second, record.Refused},
		{"reset", rawServer(t, func(c net.Conn) {
			readRequest(c)
			_ = c.(*net.TCPConn).SetLinger(0) // close with RST
			c.Close()
		}), time.Second, record.Reset},
		{"eof", rawServer(t, func(c net.Conn) { readRequest(c); c.Close() }), time.Second, record.EOF},
		{"truncated body", rawServer(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")), time.Second, record.EOF},
		{"5xx", rawServer(t, answer("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")), time.Second, record.Status5xx},
		{"4xx is other", rawServer(t, answer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")), time.Second, record.Other},
		{"ok", rawServer(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")), time.Second, record.OK},
	} {
		reqs := drive(t, tc.addr, tc.timeout)
		got := kinds(reqs)
		if len(reqs) < 10 || got[tc.want] != len(reqs) {
			t.Errorf("%s: %d requests, kinds %v: want all %v", tc.name, len(reqs), got, tc.want)
		}
	}
}

func TestTimeoutIsClassified(t *testing.T) {
	hold := make(chan struct{})
	addr := rawServer(t, func(c net.Conn) {
		go func() { readRequest(c); <-hold; c.Close() }()
	})
	defer close(hold)
	reqs := drive(t, addr, 100*time.Millisecond)
	got := kinds(reqs)
	if len(reqs) < 10 || got[record.Timeout] != len(reqs) {
		t.Fatalf("%d requests, kinds %v: want all timeouts", len(reqs), got)
	}
	for _, q := range reqs {
		if q.Latency < 90*time.Millisecond {
			t.Fatalf("a timeout after %v, want about 100ms", q.Latency)
		}
	}
}

// loadOnEmptyServer starts sending rate requests per second to a server, closed at the test's
// end, that answers 200 with nothing; done closes once the generator's Run returned.
func loadOnEmptyServer(t *testing.T, rate int) (*record.Recording, *load.Generator, <-chan struct{}) {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-served })
	rec := record.New(time.Now())
	g := load.New(load.Config{Base: &url.URL{Scheme: "http", Host: ln.Addr().String()}, Rate: rate,
		Targets: []load.Target{{Weight: 1, Method: "GET", Path: "/"}}}, rec)
	done := make(chan struct{})
	go func() { defer close(done); g.Run() }()
	return rec, g, done
}

// answer is a raw server's handler: it reads the request, writes resp as it is, and closes.
func answer(resp string) func(net.Conn) {
	return func(c net.Conn) {
		readRequest(c)
		_, _ = c.Write([]byte(resp))
		c.Close()
	}
}

func TestStopSendsNothingMore(t *testing.T) {
	rec, g, done := loadOnEmptyServer(t, 1000)
	time.Sleep(300 * time.Millisecond) // let it send for a while; the test checks what follows Stop
	g.Stop()
	stopAt := rec.Now()
	<-done
	for _, q := range rec.Requests() {
		if q.Start > stopAt {
			t.Fatalf("a request started %v after Stop", q.Start-stopAt)
		}
	}
	sent, finished, _ := g.Progress()
	if sent == 0 || sent != finished || uint64(len(rec.Requests())) != sent {
		t.Fatalf("sent %d, finished %d, recorded %d: want every sent request recorded", sent, finished, len(rec.Requests()))
	}
}

// The drill never lies: asked for far more than one process can send, it says it fell behind.
func TestFallingBehindIsReported(t *testing.T) {
	_, g, done := loadOnEmptyServer(t, 100_000)
	time.Sleep(200 * time.Millisecond) // the window the rate is judged over
	g.Stop()
	<-done
	rate, window, behind := g.Achieved()
	t.Logf("sent %.0f req/s of 100000 over %v", rate, window)
	if !behind {
		t.Fatalf("sent %.0f req/s of 100000 over %v and did not report falling behind", rate, window)
	}
}
