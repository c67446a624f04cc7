//go:build unix

package gracehttp_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// A connection accepted but not yet read from is closed at the linger only when nothing waits on
// it: a request that arrived before net/http read it (a busy machine) must not be reset.
func TestLingerSparesARequestOnItsWay(t *testing.T) {
	client, server := testkit.ConnPair(t)

	if closeIt, wait := gracehttp.LingerCloses(server); !closeIt || wait {
		t.Errorf("nothing sent: close %v, wait %v; want it closed", closeIt, wait)
	}
	if _, err := client.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	testkit.Until(t, 5*time.Second, "the linger to spare a connection with a request on its way", func() bool {
		closeIt, wait := gracehttp.LingerCloses(server)
		return !closeIt && wait
	})
	buf := make([]byte, 64)
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := server.Read(buf); err != nil || string(buf[:3]) != "GET" {
		t.Fatalf("the peek consumed the request: %q %v", buf[:n], err)
	}
}

// The peek must not wait for a reader: net/http's goroutine for a new connection sits in a read
// that waits for the first request, holding the socket's read side, and the linger asks about
// that connection while it holds the server's lock. A peek that queued behind that read waited
// as long as the client sent nothing (a preconnect, a probe that connects and holds), and so did
// the stop, past its deadline.
func TestLingerPeekDoesNotWaitForTheReader(t *testing.T) {
	client, server := testkit.ConnPair(t)
	reading := make(chan error, 1)
	go func() {
		_, err := server.Read(make([]byte, 1)) // as net/http's goroutine does, waiting
		reading <- err
	}()
	testkit.Until(t, 5*time.Second, "the read to wait for data", func() bool {
		return anyGoroutineShows("[IO wait]:\ninternal/poll.runtime_pollWait")
	})
	answered := make(chan [2]bool, 1)
	go func() {
		closeIt, wait := gracehttp.LingerCloses(server)
		answered <- [2]bool{closeIt, wait}
	}()
	select {
	case got := <-answered:
		if !got[0] || got[1] {
			t.Errorf("nothing sent, a reader waiting: close %v, wait %v; want it closed", got[0], got[1])
		}
	case <-time.After(5 * time.Second):
		t.Error("the linger's peek waited for the connection's reader")
		client.Close() // the read returns, and the peek after it
		<-answered
	}
	client.Close()
	<-reading
}

// A client that connects and sends nothing (a browser's preconnect, a probe that holds the
// connection) must not hold the stop: the linger closes that connection and Stop returns, with
// no error, long before its deadline.
func TestStopClosesAConnectionThatSentNothing(t *testing.T) {
	ln := listen(t)
	s := gracehttp.New(&http.Server{Handler: http.NotFoundHandler()}, gracehttp.WithListener(ln),
		gracehttp.WithLinger(50*time.Millisecond))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testkit.Until(t, 5*time.Second, "net/http to wait for the connection's first request", func() bool {
		return anyGoroutineShows("net/http.(*conn).readRequest")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(ctx) }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop = %v, want nil: the connection carried no request", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop still waits for a connection that sent nothing")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes on a connection the stop should have closed", n)
	}
}

// anyGoroutineShows reports whether the stack dump of all goroutines contains s: a way to wait
// until a goroutine is parked where a test needs it.
func anyGoroutineShows(s string) bool {
	buf := make([]byte, 1<<20)
	return bytes.Contains(buf[:runtime.Stack(buf, true)], []byte(s))
}
