//go:build unix

package sdnotify_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/sdnotify"
)

// manager is a service manager's end: a unix datagram socket the test reads.
func manager(t *testing.T, addr string) *net.UnixConn {
	t.Helper()
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// receive reads one datagram and the descriptors that came with it.
func receive(t *testing.T, pc *net.UnixConn) (string, []int) {
	t.Helper()
	buf, oob := make([]byte, 4096), make([]byte, 1024)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, oobn, _, _, err := pc.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		got, err := syscall.ParseUnixRights(&m)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, got...)
	}
	return string(buf[:n]), fds
}

func TestSendState(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "notify")
	pc := manager(t, addr)
	if err := sdnotify.Send(addr, "READY=1\nSTATUS=serving"); err != nil {
		t.Fatal(err)
	}
	if got, fds := receive(t, pc); got != "READY=1\nSTATUS=serving" || len(fds) != 0 {
		t.Fatalf("manager got %q with %d descriptors", got, len(fds))
	}
}

func TestSendAbstractSocket(t *testing.T) {
	addr := "@gracekit-sdnotify-" + filepath.Base(t.TempDir())
	pc := manager(t, addr)
	if err := sdnotify.Send(addr, "WATCHDOG=1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := receive(t, pc); got != "WATCHDOG=1" {
		t.Fatalf("manager got %q", got)
	}
}

// The descriptors go with the datagram, and the sender keeps its own: what the manager writes
// into its copy comes out of the sender's pipe.
func TestSendPassesDescriptors(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "notify")
	pc := manager(t, addr)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := sdnotify.Send(addr, "FDSTORE=1\nFDNAME=pipe", w); err != nil {
		t.Fatal(err)
	}
	got, fds := receive(t, pc)
	if got != "FDSTORE=1\nFDNAME=pipe" || len(fds) != 1 {
		t.Fatalf("manager got %q with %d descriptors", got, len(fds))
	}
	stored := os.NewFile(uintptr(fds[0]), "stored")
	if _, err := stored.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	stored.Close()
	if _, err := w.Write([]byte("y")); err != nil { // still open on the sender's side
		t.Fatalf("the sender's descriptor was closed by the send: %v", err)
	}
	b := make([]byte, 2)
	if _, err := r.Read(b); err != nil || string(b) != "xy" {
		t.Fatalf("read %q, %v; want the manager's and the sender's writes", b, err)
	}
}

func TestSendOutsideAManager(t *testing.T) {
	if err := sdnotify.Send("", "READY=1"); err != nil {
		t.Fatalf("Send with no address: %v", err)
	}
	if err := sdnotify.Barrier("", time.Second); err != nil {
		t.Fatalf("Barrier with no address: %v", err)
	}
}

func TestSendBadAddress(t *testing.T) {
	for _, addr := range []string{"vsock:2:1234", "relative/path"} {
		if err := sdnotify.Send(addr, "READY=1"); !errors.Is(err, sdnotify.ErrAddress) {
			t.Errorf("Send(%q) = %v, want ErrAddress", addr, err)
		}
	}
	addr := filepath.Join(t.TempDir(), "nobody")
	if err := sdnotify.Send(addr, "READY=1"); err == nil || errors.Is(err, sdnotify.ErrAddress) {
		t.Errorf("Send to a socket nobody listens on = %v, want the send's error", err)
	}
}

// Barrier returns once the manager closed the pipe it got, and fails at its timeout when the
// manager keeps it open.
func TestBarrier(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "notify")
	pc := manager(t, addr)
	answered := make(chan error, 1)
	go func() { answered <- sdnotify.Barrier(addr, 5*time.Second) }()
	got, fds := receive(t, pc)
	if got != "BARRIER=1" || len(fds) != 1 {
		t.Fatalf("manager got %q with %d descriptors", got, len(fds))
	}
	select {
	case err := <-answered:
		t.Fatalf("Barrier returned (%v) before the manager closed the pipe", err)
	case <-time.After(50 * time.Millisecond):
	}
	syscall.Close(fds[0])
	if err := <-answered; err != nil {
		t.Fatalf("Barrier: %v", err)
	}

	go func() { answered <- sdnotify.Barrier(addr, 100*time.Millisecond) }()
	_, fds = receive(t, pc)
	defer syscall.Close(fds[0])
	if err := <-answered; err == nil {
		t.Fatal("Barrier returned nil while the manager held the pipe open")
	}
}
