//go:build linux

package graceupgrade_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceupgrade"
	"github.com/gracekit/grace/internal/testkit"
)

// TestUpgradeRefusedUntilReady: Upgrade's doc says it refuses while the app is not ready.
func TestUpgradeRefusedUntilReady(t *testing.T) {
	app := grace.New()
	up := graceupgrade.New(app, graceupgrade.WithSignals())
	if _, err := up.Upgrade(context.Background()); !errors.Is(err, graceupgrade.ErrNotServing) {
		t.Fatalf("Upgrade before Run: %v, want ErrNotServing", err)
	}
	if st := up.Stats(); st.Attempts != 0 {
		t.Errorf("a refused trigger was counted: %+v", st)
	}
}

// TestBadOptionsNeverStart: a non-loopback admin endpoint without a token, and a bad mode, keep
// the app from starting, named in one error.
func TestBadOptionsNeverStart(t *testing.T) {
	app := grace.New(grace.WithSignals())
	up := graceupgrade.New(app, graceupgrade.WithAdmin("0.0.0.0:9901", ""), graceupgrade.WithMode(7),
		graceupgrade.WithReadyTimeout(-time.Second))
	started := false
	app.Add("upgrade", up, grace.StopsLast())
	app.Add("x", grace.Hook{OnStart: func(context.Context) error { started = true; return nil }})
	_, err := app.Run(context.Background())
	var ce *grace.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Run: %v, want a ConfigError", err)
	}
	for _, want := range []string{"not loopback", "unknown mode 7", "ready timeout must be positive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if started {
		t.Error("a component started")
	}
	// Validate lists the problems one by one, without the component's name or the package's
	// (the engine prefixes each with the name).
	err = graceupgrade.New(nil, graceupgrade.WithKillGrace(0)).Validate()
	if !errors.As(err, &ce) || len(ce.Problems) != 2 {
		t.Fatalf("Validate with a nil app and a zero kill grace: %#v, want a ConfigError of 2 problems", err)
	}
	for _, p := range ce.Problems {
		if strings.Contains(p, "graceupgrade") {
			t.Errorf("problem %q names the package", p)
		}
	}
}

// TestListenNames: a name is used once, must be one systemd accepts, and a unix socket's file
// survives the listener's close (a successor may serve on it) and is reused when stale.
func TestListenNames(t *testing.T) {
	up := graceupgrade.New(grace.New())
	ln, err := up.Listen("web", "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := up.Listen("web", "tcp", "127.0.0.1:0"); !errors.Is(err, graceupgrade.ErrDuplicateName) {
		t.Errorf("second Listen(web): %v, want ErrDuplicateName", err)
	}
	for _, bad := range []string{"", "a:b", "a\nb", strings.Repeat("x", 256)} {
		if _, err := up.Listen(bad, "tcp", "127.0.0.1:0"); err == nil {
			t.Errorf("Listen(%q) accepted", bad)
		}
	}
	path := filepath.Join(t.TempDir(), "s.sock")
	uln, err := up.Listen("unix", "unix", path)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := up.ListenPacket("udp", "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	files, err := up.Files()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		f.File.Close()
	}
	if got := strings.Join(names, ","); got != "web,unix,udp" {
		t.Errorf("Files names %s, want web,unix,udp in creation order", got)
	}
	uln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("unix socket file removed by Close: %v", err)
	}
	if _, err := up.Files(); err == nil {
		t.Error("Files with a closed listener succeeded")
	}
	again, err := graceupgrade.New(grace.New()).Listen("unix", "unix", path)
	if err != nil {
		t.Fatalf("Listen on a stale socket file: %v", err)
	}
	again.Close()
}

// TestFilesKeepListenerNonBlocking: handing a socket's copy to a child must not switch the
// listener this process accepts on to blocking mode (net's File would): Close must still end a
// pending Accept.
func TestFilesKeepListenerNonBlocking(t *testing.T) {
	ln, copied := listenWithCopy(t)
	_ = copied.Fd() // what os/exec does with ExtraFiles
	done := make(chan error, 1)
	go func() {
		_, err := ln.Accept()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Accept block
	ln.Close()
	if err := testkit.Recv(t, done, 5*time.Second, "Accept to end at Close"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept: %v", err)
	}
}

// listenWithCopy returns a new listener of an Upgrader and the copy of its socket Files gives,
// closed at the test's end.
func listenWithCopy(t *testing.T) (net.Listener, *os.File) {
	t.Helper()
	up := graceupgrade.New(grace.New())
	ln, err := up.Listen("web", "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	files, err := up.Files()
	if err != nil || len(files) != 1 {
		t.Fatalf("Files: %v, %v", files, err)
	}
	t.Cleanup(func() { files[0].File.Close() })
	return ln, files[0].File
}

// TestNotify: datagrams reach a path socket and an abstract one; no socket, nothing sent.
func TestNotify(t *testing.T) {
	for _, addr := range []string{filepath.Join(t.TempDir(), "notify"), "@graceupgrade-test-" + strconv.Itoa(os.Getpid())} {
		pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		if err := graceupgrade.Notify(addr, "READY=1\nSTATUS=x"); err != nil {
			t.Fatalf("Notify(%s): %v", addr, err)
		}
		buf := make([]byte, 256)
		pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := pc.Read(buf)
		if err != nil || string(buf[:n]) != "READY=1\nSTATUS=x" {
			t.Errorf("%s received %q, %v", addr, buf[:n], err)
		}
		pc.Close()
	}
	if err := graceupgrade.Notify("", "READY=1"); err != nil {
		t.Errorf("Notify without a socket: %v", err)
	}
	if err := graceupgrade.Notify("relative", "READY=1"); err == nil {
		t.Error("Notify to a relative path succeeded")
	}
}

// TestNotifyDuringUpgrade: under a service manager the first process says READY=1 at its ready;
// at an upgrade the parent says RELOADING=1 with MONOTONIC_USEC=, then MAINPID=<successor> and
// READY=1, then waits on BARRIER=1 (so it never exits before the manager took the new main PID),
// and the successor says MAINPID=<self> and READY=1.
func TestNotifyDuringUpgrade(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "notify")
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := make(chan string, 16)
	go func() { // read as a manager does: at once (a BARRIER=1's descriptor is closed on reading)
		buf := make([]byte, 512)
		for {
			n, err := pc.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	s := startService(t, "NOTIFY_SOCKET="+addr)
	child := s.upgrade(s.first)
	want := []string{"READY=1", "RELOADING=1\nMONOTONIC_USEC=", fmt.Sprintf("MAINPID=%d\nREADY=1", child), "BARRIER=1", fmt.Sprintf("MAINPID=%d\nREADY=1", child)}
	for i, w := range want {
		d := testkit.Recv(t, got, 10*time.Second, fmt.Sprintf("datagram %d (%q)", i, w))
		if !strings.HasPrefix(d, w) {
			t.Errorf("datagram %d: %q, want %q", i, d, w)
		}
		if i == 1 {
			usec, err := strconv.ParseInt(strings.TrimPrefix(d, w), 10, 64)
			if err != nil || usec <= 0 {
				t.Errorf("MONOTONIC_USEC: %q", d)
			}
		}
	}
}
