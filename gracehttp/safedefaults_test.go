package gracehttp_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
)

// TestSafeDefaults: defaults fill only what the user left unset; on an HTTP/1 server they are
// enforced by the server (see TestSlowHeaderIsCut, TestIdleConnectionTimesOut) and the
// http.Server's fields stay as the user left them; a server that speaks HTTP/2 gets them in its
// fields.
func TestSafeDefaults(t *testing.T) {
	mine := &http.Server{ReadHeaderTimeout: 3 * time.Second}
	startServer(t, gracehttp.New(mine, gracehttp.WithListener(listen(t))))
	if mine.ReadHeaderTimeout != 3*time.Second || mine.IdleTimeout != 0 {
		t.Errorf("ReadHeaderTimeout %v IdleTimeout %v, want 3s and untouched", mine.ReadHeaderTimeout, mine.IdleTimeout)
	}
	none := &http.Server{}
	startServer(t, gracehttp.New(none, gracehttp.WithListener(listen(t))))
	if none.ReadHeaderTimeout != 0 || none.IdleTimeout != 0 {
		t.Errorf("HTTP/1 server's fields set: %v %v", none.ReadHeaderTimeout, none.IdleTimeout)
	}
	h2c := &http.Server{Protocols: new(http.Protocols)}
	h2c.Protocols.SetHTTP1(true)
	h2c.Protocols.SetUnencryptedHTTP2(true)
	startServer(t, gracehttp.New(h2c, gracehttp.WithListener(listen(t))))
	if h2c.ReadHeaderTimeout != gracehttp.DefaultReadHeaderTimeout || h2c.IdleTimeout != gracehttp.DefaultIdleTimeout {
		t.Errorf("HTTP/2 server: ReadHeaderTimeout %v IdleTimeout %v", h2c.ReadHeaderTimeout, h2c.IdleTimeout)
	}
	off := &http.Server{Protocols: h2c.Protocols}
	startServer(t, gracehttp.New(off, gracehttp.WithListener(listen(t)), gracehttp.WithSafeDefaults(false)))
	if off.ReadHeaderTimeout != 0 || off.IdleTimeout != 0 {
		t.Errorf("WithSafeDefaults(false), yet %v %v", off.ReadHeaderTimeout, off.IdleTimeout)
	}
}

const (
	shortHeader = 300 * time.Millisecond
	shortIdle   = 1500 * time.Millisecond
	closeBound  = 10 * time.Second // a closed connection is seen well within this
)

// slowServer starts an HTTP/1 server with the safe defaults shortened (or off) and returns its
// address.
func slowServer(t *testing.T, header, idle time.Duration, opts ...gracehttp.Option) string {
	t.Helper()
	ln := listen(t)
	opts = append(opts, gracehttp.WithListener(ln), gracehttp.WithSafeTimeouts(header, idle))
	startServer(t, gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})}, opts...))
	return ln.Addr().String()
}

// trickle sends the start of a request one byte at a time, never finishing it, until the
// connection fails or stop closes.
func trickle(c net.Conn, stop <-chan struct{}) {
	msg := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + string(make([]byte, 1000))
	for i := range len(msg) {
		if _, err := c.Write([]byte{msg[i]}); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// closedAfter waits for the server to close c (net/http answers a header cut mid-way "400 Bad
// Request" first, as with its own ReadHeaderTimeout) and returns how long after since it was
// seen; it fails t if c is still open after closeBound.
func closedAfter(t *testing.T, c net.Conn, br *bufio.Reader, since time.Time) time.Duration {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(closeBound))
	_, err := io.Copy(io.Discard, br)
	took := time.Since(since)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open %v later", took)
	}
	return took
}

func request(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// TestSlowHeaderIsCut: a client that sends a request's header slowly (slowloris) loses the
// connection once the read-header timeout has passed — from the accept on a new connection,
// from the request's first byte on a keep-alive one — and not before.
func TestSlowHeaderIsCut(t *testing.T) {
	addr := slowServer(t, shortHeader, time.Hour)
	t.Run("new connection", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		begin := time.Now()
		stop := make(chan struct{})
		defer close(stop)
		go trickle(c, stop)
		if took := closedAfter(t, c, bufio.NewReader(c), begin); took < shortHeader {
			t.Errorf("closed after %v, before the %v timeout", took, shortHeader)
		}
	})
	t.Run("keep-alive connection", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		request(t, c, br)
		// Idle for longer than the header timeout first: the idle time does not count.
		time.Sleep(2 * shortHeader)
		begin := time.Now()
		stop := make(chan struct{})
		defer close(stop)
		go trickle(c, stop)
		if took := closedAfter(t, c, br, begin); took < shortHeader {
			t.Errorf("closed %v after the first byte, before the %v timeout", took, shortHeader)
		}
	})
}

// TestIdleConnectionTimesOut: a keep-alive connection on which no request begins is closed
// once the idle timeout has passed, and not before; one whose requests keep coming stays.
func TestIdleConnectionTimesOut(t *testing.T) {
	addr := slowServer(t, time.Hour, shortIdle)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	// Requests a tenth of the timeout apart, for longer than the timeout: the connection stays.
	for range 12 {
		request(t, c, br)
		time.Sleep(shortIdle / 10)
	}
	request(t, c, br)
	begin := time.Now()
	if took := closedAfter(t, c, br, begin); took < shortIdle {
		t.Errorf("closed after %v idle, before the %v timeout", took, shortIdle)
	}
}

// TestSafeDefaultsOff: without the safe defaults, a slow client keeps its connection.
func TestSafeDefaultsOff(t *testing.T) {
	addr := slowServer(t, shortHeader, shortIdle, gracehttp.WithSafeDefaults(false))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	defer close(stop)
	go trickle(c, stop)
	c.SetReadDeadline(time.Now().Add(5 * shortHeader))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read = %v, want the connection still open", err)
	}
}
