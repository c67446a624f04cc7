//go:build unix

package gracehttp_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// TestStopReturnsOnceIdleConnectionsAreClosed: Stop ends idle keep-alive connections without
// closing their sockets itself (it wakes net/http's reads, and net/http closes them), yet
// returns only once every one is closed: by then each client already holds the end of its
// connection.
func TestStopReturnsOnceIdleConnectionsAreClosed(t *testing.T) {
	const n = 200
	ln := listen(t)
	s := gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})}, gracehttp.WithListener(ln))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	clients := make([]*net.TCPConn, n)
	for i := range clients {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c.(*net.TCPConn)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	for i, c := range clients {
		if !peerClosed(t, c) {
			t.Fatalf("client %d: its connection was not closed yet when Stop returned", i)
		}
	}
}

// peerClosed reports whether the peer's end of c has arrived: a read would return EOF now.
// It peeks without consuming and without waiting.
func peerClosed(t *testing.T, c *net.TCPConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var rerr error
	var buf [1]byte
	if err := raw.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return rerr == nil && n == 0
}

// A connection the stop ended while idle keeps its read deadline in the past whatever net/http
// sets afterwards: its goroutine may reach its wait for the next request just after the stop
// marked it.
func TestEndedIdleConnectionIgnoresLaterDeadlines(t *testing.T) {
	_, server := testkit.ConnPair(t)
	done := make(chan error, 1)
	go func() { done <- gracehttp.EndedConnKeepsPastDeadline(server) }()
	if err := testkit.Recv(t, done, 5*time.Second, "the read on the ended connection"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read = %v, want a timeout at once", err)
	}
}
