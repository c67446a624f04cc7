package gracehttp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// TestCopyContextBlockedConn: a copy from a connection that sends nothing returns promptly with
// the cause when ctx is cancelled.
func TestCopyContextBlockedConn(t *testing.T) {
	peer, conn := testkit.ConnPair(t)
	peer.Write([]byte("hello "))
	errTestCancel := errors.New("test cancel")
	ctx, cancel := context.WithCancelCause(context.Background())
	var dst bytes.Buffer
	done := make(chan error, 1)
	go func() { _, err := gracehttp.CopyContext(ctx, &dst, conn); done <- err }()
	time.Sleep(50 * time.Millisecond) // the copy is now blocked in Read
	cancel(errTestCancel)
	if err := testkit.Recv(t, done, 2*time.Second, "CopyContext after cancel"); !errors.Is(err, errTestCancel) {
		t.Fatalf("err = %v, want the cause", err)
	}
	if dst.String() != "hello " {
		t.Errorf("copied %q", dst.String())
	}
}

// TestCopyContextNoDeadlines: a reader without deadlines (io.Pipe) does not hold the copy either.
func TestCopyContextNoDeadlines(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := gracehttp.CopyContext(ctx, io.Discard, pr); done <- err }()
	pw.Write([]byte("x"))
	cancel()
	if err := testkit.Recv(t, done, 2*time.Second, "CopyContext after cancel"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// Without cancellation it copies to EOF.
	var dst bytes.Buffer
	n, err := gracehttp.CopyContext(context.Background(), &dst, strings.NewReader("abc"))
	if n != 3 || err != nil || dst.String() != "abc" {
		t.Fatalf("%d %v %q", n, err, dst.String())
	}
}

// TestCopyContextUpload: an upload that stalls is interrupted through the request's
// ResponseController when the server drains into its hard stop.
func TestCopyContextUpload(t *testing.T) {
	result := make(chan error, 1)
	reading := make(chan struct{})
	s := gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(reading)
		_, err := gracehttp.CopyContext(r.Context(), io.Discard, gracehttp.Body(w, r))
		result <- err
	})}, gracehttp.WithListener(listen(t)), gracehttp.WithCutMargin(300*time.Millisecond))
	startServer(t, s)
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\npartial")
	testkit.Recv(t, reading, 5*time.Second, "handler reading")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	begin := time.Now()
	s.Stop(ctx)
	if err := testkit.Recv(t, result, 2*time.Second, "upload copy"); !errors.Is(err, gracehttp.ErrHardStop) {
		t.Fatalf("copy err = %v, want ErrHardStop", err)
	}
	if took := time.Since(begin); took >= 500*time.Millisecond {
		t.Errorf("Stop took %v: it ran into its deadline", took)
	}
}
