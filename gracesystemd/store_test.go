//go:build unix

package gracesystemd_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/gracesystemd"
)

// The fd-store protocol against a real notify socket: the datagrams and the descriptors they
// carry. (Under a real systemd: TestRealFDStoreRestart and TestRealFDStoreRemoveAndPrune.)

// nextFDs returns the next datagram and the descriptors it carries; the caller closes them
// (keep closes them when the test ends).
func (s *notifySocket) nextFDs() (string, []int) {
	s.t.Helper()
	buf, oob := make([]byte, 4096), make([]byte, 1024)
	s.conn.SetReadDeadline(time.Now().Add(waitFor))
	n, oobn, _, _, err := s.conn.ReadMsgUnix(buf, oob)
	if err != nil {
		s.t.Fatalf("waiting for a notification: %v", err)
	}
	var fds []int
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		s.t.Fatal(err)
	}
	for _, m := range msgs {
		rights, err := syscall.ParseUnixRights(&m)
		if err != nil {
			s.t.Fatal(err)
		}
		fds = append(fds, rights...)
	}
	return string(buf[:n]), fds
}

// keep closes fds when the test ends and returns them.
func keep(t *testing.T, fds []int) []int {
	t.Cleanup(func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	})
	return fds
}

// inode is the inode of the socket behind fd.
func inode(t *testing.T, fd int) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return uint64(st.Ino)
}

func listenerInode(t *testing.T, l syscall.Conn) uint64 {
	t.Helper()
	rc, err := l.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ino uint64
	rc.Control(func(fd uintptr) { ino = inode(t, int(fd)) })
	return ino
}

// TestStoreSendsTheDescriptor: Store sends FDSTORE=1 with the name, and the descriptor systemd
// receives is the listener's own socket — on a path and on an abstract notify socket.
func TestStoreSendsTheDescriptor(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		t.Run(fmt.Sprintf("abstract=%v", abstract), func(t *testing.T) {
			sock := listenNotify(t, abstract)
			l := listenTCP(t)
			if err := gracesystemd.Store("web", l); err != nil {
				t.Fatal(err)
			}
			msg, fds := sock.nextFDs()
			fds = keep(t, fds)
			if msg != "FDSTORE=1\nFDNAME=web" || len(fds) != 1 {
				t.Fatalf("got %q with %d descriptors, want FDSTORE=1 FDNAME=web with 1", msg, len(fds))
			}
			if got, want := inode(t, fds[0]), listenerInode(t, l); got != want {
				t.Fatalf("stored descriptor is socket %d, the listener is %d", got, want)
			}
			// The stored copy is a working listener: what the next start would get.
			conn, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			conn.Close()
			// The listener still works after the send: Store borrowed the descriptor.
			if _, err := net.Dial("tcp", l.Addr().String()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStoreSeveral: several descriptors under one name travel in one datagram, in order.
func TestStoreSeveral(t *testing.T) {
	sock := listenNotify(t, false)
	var conns []syscall.Conn
	var want []uint64
	for range 3 {
		l := listenTCP(t)
		conns = append(conns, l)
		want = append(want, listenerInode(t, l))
	}
	if err := gracesystemd.Store("pool", conns...); err != nil {
		t.Fatal(err)
	}
	msg, fds := sock.nextFDs()
	keep(t, fds)
	if msg != "FDSTORE=1\nFDNAME=pool" || len(fds) != 3 {
		t.Fatalf("got %q with %d descriptors, want FDSTORE=1 FDNAME=pool with 3", msg, len(fds))
	}
	for i, fd := range fds {
		if got := inode(t, fd); got != want[i] {
			t.Fatalf("descriptor %d is socket %d, want %d", i, got, want[i])
		}
	}
}

// TestUnstoreSendsRemove: Unstore sends FDSTOREREMOVE=1 with the name and no descriptor.
func TestUnstoreSendsRemove(t *testing.T) {
	sock := listenNotify(t, false)
	if err := gracesystemd.Unstore("web"); err != nil {
		t.Fatal(err)
	}
	if msg, fds := sock.nextFDs(); msg != "FDSTOREREMOVE=1\nFDNAME=web" || len(fds) != 0 {
		t.Fatalf("got %q with %d descriptors, want FDSTOREREMOVE=1 FDNAME=web with none", msg, len(fds))
	}
}

// TestStoreBadName: names systemd would refuse are refused before anything is sent.
func TestStoreBadName(t *testing.T) {
	sock := listenNotify(t, false)
	l := listenTCP(t)
	for _, name := range []string{"", "a:b", "tab\there", "é", strings.Repeat("n", 256)} {
		if err := gracesystemd.Store(name, l); !errors.Is(err, gracesystemd.ErrBadName) {
			t.Errorf("Store(%q) = %v, want ErrBadName", name, err)
		}
		if err := gracesystemd.Unstore(name); !errors.Is(err, gracesystemd.ErrBadName) {
			t.Errorf("Unstore(%q) = %v, want ErrBadName", name, err)
		}
		var s gracesystemd.FDStore
		if _, err := s.Listen("tcp", "127.0.0.1:0", name); !errors.Is(err, gracesystemd.ErrBadName) {
			t.Errorf("FDStore.Listen(%q) = %v, want ErrBadName", name, err)
		}
	}
	// The longest valid name goes through, and is the first datagram: nothing was sent before.
	long := strings.Repeat("n", 255)
	if err := gracesystemd.Unstore(long); err != nil {
		t.Fatal(err)
	}
	if msg, _ := sock.nextFDs(); msg != "FDSTOREREMOVE=1\nFDNAME="+long {
		t.Fatalf("first datagram = %q, want the valid name's", msg)
	}
}

// TestStoreOutsideSystemd: without NOTIFY_SOCKET nothing is sent and nothing fails; an FDStore
// then simply listens.
func TestStoreOutsideSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	l := listenTCP(t)
	if err := gracesystemd.Store("web", l); err != nil {
		t.Fatal(err)
	}
	if err := gracesystemd.Unstore("web"); err != nil {
		t.Fatal(err)
	}
	var s gracesystemd.FDStore
	sl, err := s.Listen("tcp", "127.0.0.1:0", "web")
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	if pruned, err := s.Prune(); len(pruned) != 0 || err != nil {
		t.Fatalf("Prune() = %v, %v; want nothing", pruned, err)
	}
}

// TestStoreUnreachable: a notify socket nobody listens on, and one of an unsupported kind, are
// errors that name it; FDStore.Listen then leaves nothing open.
func TestStoreUnreachable(t *testing.T) {
	l := listenTCP(t)
	missing := t.TempDir() + "/gone.sock"
	t.Setenv("NOTIFY_SOCKET", missing)
	err := gracesystemd.Store("web", l)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Store to a missing socket = %v, want an error naming %s", err, missing)
	}
	var s gracesystemd.FDStore
	addr := l.Addr().String()
	l.Close()
	if _, err := s.Listen("tcp", addr, "web"); err == nil {
		t.Fatal("FDStore.Listen stored nothing and did not say so")
	}
	if c, err := net.Dial("tcp", addr); err == nil { // the listener was closed again
		c.Close()
		t.Fatalf("FDStore.Listen left %s listening after its error", addr)
	}

	t.Setenv("NOTIFY_SOCKET", "vsock:2:1234")
	if err := gracesystemd.Unstore("web"); !errors.Is(err, gracesystemd.ErrUnsupported) {
		t.Fatalf("Unstore over vsock = %v, want ErrUnsupported", err)
	}
}

// TestFDStoreTakesBackByName runs the test binary as a service started with three descriptors
// named as systemd names them: "web" (a listener with a request already queued on it), "old" (a
// name the new version no longer uses) and "moved" (a listener on an address the new version no
// longer listens on). The service's FDStore takes web back — the queued request is answered on it —
// stores it again, refuses a second listener under the same name, replaces moved (removing the
// old socket from the store first) and prunes old.
func TestFDStoreTakesBackByName(t *testing.T) {
	sock := listenNotify(t, false)
	var files []*os.File
	var inodes []uint64
	var addrs []string
	for range 3 {
		l := listenTCP(t)
		f, err := l.File()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		inodes = append(inodes, listenerInode(t, l))
		addrs = append(addrs, l.Addr().String())
		l.Close()
	}
	conn, err := net.Dial("tcp", addrs[0]) // queued on web before the service runs
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	movedTo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	newAddr := movedTo.Addr().String()
	movedTo.Close()

	cmd, out := activate(t, "fdstore", files, "LISTEN_FDNAMES=web:old:moved", "NOTIFY_SOCKET="+sock.addr,
		"FDSTORE_TEST_WEB="+addrs[0], "FDSTORE_TEST_MOVED="+newAddr)
	for _, f := range files {
		f.Close()
	}

	msg, fds := sock.nextFDs()
	keep(t, fds)
	if msg != "FDSTORE=1\nFDNAME=web" || len(fds) != 1 || inode(t, fds[0]) != inodes[0] {
		t.Fatalf("first datagram %q with %d descriptors, want web's own socket stored again\n%s", msg, len(fds), out)
	}
	if msg, _ := sock.nextFDs(); msg != "FDSTOREREMOVE=1\nFDNAME=moved" {
		t.Fatalf("datagram %q, want moved's old socket removed\n%s", msg, out)
	}
	msg, fds = sock.nextFDs()
	keep(t, fds)
	if msg != "FDSTORE=1\nFDNAME=moved" || len(fds) != 1 || inode(t, fds[0]) == inodes[2] {
		t.Fatalf("datagram %q with %d descriptors, want a new socket stored for moved\n%s", msg, len(fds), out)
	}
	if msg, _ := sock.nextFDs(); msg != "FDSTOREREMOVE=1\nFDNAME=old" {
		t.Fatalf("datagram %q, want old pruned\n%s", msg, out)
	}

	body := answer(t, conn, out)
	want := fmt.Sprintf("pid=%d web=%s moved=%s again=%v pruned=[old] env=[]", cmd.Process.Pid, addrs[0], newAddr, true)
	if body != want {
		t.Fatalf("service answered %q, want %q\n%s", body, want, out)
	}
	if code := waitExit(t, cmd); code != 0 {
		t.Fatalf("service exited %d\n%s", code, out)
	}
	if c, err := net.Dial("tcp", addrs[2]); err == nil {
		c.Close()
		t.Fatalf("moved's old socket %s still accepts: it was not closed", addrs[2])
	}
}
