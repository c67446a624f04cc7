package gracehttp_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// wsServer is a minimal WebSocket-like endpoint: it hijacks, answers 101, then reads frames
// until the peer's close frame or an error, and closes the connection.
func wsHandler(gotClose chan<- struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
		var hdr [2]byte
		for {
			if _, err := io.ReadFull(rw, hdr[:]); err != nil {
				return
			}
			n := int(hdr[1] & 0x7f) // tests send short unmasked frames
			if _, err := io.CopyN(io.Discard, rw, int64(n)); err != nil {
				return
			}
			if hdr[0]&0x0f == 0x8 {
				gotClose <- struct{}{}
				return
			}
		}
	})
}

// dialUpgraded connects and asks to upgrade path to protocol; it checks the 101 and returns the
// connection and a reader past it.
func dialUpgraded(t *testing.T, addr, path, protocol string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: %s\r\nConnection: Upgrade\r\n\r\n", path, protocol)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return c, br
}

// dialWS connects to wsHandler's server and upgrades.
func dialWS(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	return dialUpgraded(t, addr, "/ws", "websocket")
}

// startWS starts a server of wsHandler that tells hijacked connections to go away as WebSocket
// does (1001), with opts; gotClose receives once for each client close frame the handler reads
// (buffered for n).
func startWS(t *testing.T, n int, opts ...gracehttp.Option) (s *gracehttp.Server, gotClose chan struct{}) {
	t.Helper()
	gotClose = make(chan struct{}, n)
	s = gracehttp.New(&http.Server{Handler: wsHandler(gotClose)},
		append([]gracehttp.Option{gracehttp.WithListener(listen(t)), gracehttp.WithGoAway(gracehttp.WebSocketGoingAway)}, opts...)...)
	startServer(t, s)
	return s, gotClose
}

// TestHijackedGoAway: a hijacked connection gets a close frame 1001 from the hook at Stop, Stop
// waits for it, and returns once the handler closed it after the client's answer.
func TestHijackedGoAway(t *testing.T) {
	s, gotClose := startWS(t, 1, gracehttp.WithLinger(10*time.Millisecond))
	c, br := dialWS(t, s.Addrs()[0].String())

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- s.Stop(ctx)
	}()
	var hdr [4]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		t.Fatalf("no close frame: %v", err)
	}
	if hdr[0] != 0x88 || binary.BigEndian.Uint16(hdr[2:]) != gracehttp.WebSocketGoingAwayCode {
		t.Fatalf("frame % x, want a close frame with code 1001", hdr)
	}
	reason := make([]byte, int(hdr[1])-2)
	io.ReadFull(br, reason)
	if !strings.Contains(string(reason), "going away") {
		t.Errorf("reason %q", reason)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) before the hijacked connection closed", err)
	case <-time.After(100 * time.Millisecond):
	}
	c.Write([]byte{0x88, 0x02, 0x03, 0xe9}) // the client's close frame (unmasked: a test peer)
	testkit.Recv(t, gotClose, 5*time.Second, "handler saw the close frame")
	if err := testkit.Recv(t, stopped, 5*time.Second, "Stop"); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("connection not closed: %v", err)
	}
}

// TestHijackedForceClosed: a hijacked connection whose peer ignores the go-away is closed at the
// deadline, and the request holding it is listed as cut.
func TestHijackedForceClosed(t *testing.T) {
	s, _ := startWS(t, 1, gracehttp.WithCutMargin(200*time.Millisecond))
	_, br := dialWS(t, s.Addrs()[0].String())
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	err := s.Stop(ctx)
	var cut *gracehttp.CutError
	if !errors.As(err, &cut) || len(cut.Requests) != 1 || cut.Requests[0].Route != "/ws" {
		t.Fatalf("Stop = %v, want a CutError listing /ws", err)
	}
	if _, err := io.ReadAll(br); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Errorf("read after force close: %v", err)
	}
}

// TestGoAwaySpread: with a spread, hijacked connections are told to go away one after another
// over the window, not all at once; each still gets its close frame and Stop ends cleanly.
func TestGoAwaySpread(t *testing.T) {
	const n = 3
	s, _ := startWS(t, n, gracehttp.WithGoAwaySpread(400*time.Millisecond), gracehttp.WithLinger(10*time.Millisecond))
	told := make(chan time.Time, n)
	for range n {
		c, br := dialWS(t, s.Addrs()[0].String())
		go func() {
			var hdr [4]byte
			if _, err := io.ReadFull(br, hdr[:]); err != nil || hdr[0] != 0x88 {
				told <- time.Time{}
				return
			}
			told <- time.Now()
			c.Write([]byte{0x88, 0x02, 0x03, 0xe9})
		}()
	}
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- s.Stop(ctx)
	}()
	var first, last time.Time
	for range n {
		at := testkit.Recv(t, told, 5*time.Second, "close frame")
		if at.IsZero() {
			t.Fatal("a connection got no close frame")
		}
		if first.IsZero() {
			first = at
		}
		last = at
	}
	if spread := last.Sub(first); spread < 150*time.Millisecond {
		t.Errorf("close frames within %v: not spread over 400ms", spread)
	}
	if err := testkit.Recv(t, stopped, 5*time.Second, "Stop"); err != nil {
		t.Fatal(err)
	}
}
