//go:build unix

package gracesystemd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// sendTimeout bounds a send to the notify socket.
const sendTimeout = 5 * time.Second

// sendFDs sends one datagram, state, to the unixgram socket addr ("@name" is abstract), with the
// descriptors of conns attached as SCM_RIGHTS. The descriptors are borrowed for the send
// (SyscallConn.Control), never duplicated or closed. (An unconnected socket and sendmsg: Go's
// WriteMsgUnix refuses a connected datagram socket.)
func sendFDs(addr, state string, conns []syscall.Conn) error {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer syscall.Close(fd)
	syscall.CloseOnExec(fd)
	// A datagram the manager is too busy to take must not hang the service.
	tv := syscall.NsecToTimeval(sendTimeout.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return withFDs(conns, nil, func(fds []int) error {
		var oob []byte
		if len(fds) > 0 {
			oob = syscall.UnixRights(fds...)
		}
		return os.NewSyscallError("sendmsg", syscall.Sendmsg(fd, []byte(state), oob, &syscall.SockaddrUnix{Name: addr}, 0))
	})
}

// withFDs calls f with the raw descriptors of conns, each held by its SyscallConn.Control for the
// duration of the call.
func withFDs(conns []syscall.Conn, fds []int, f func([]int) error) error {
	if len(conns) == 0 {
		return f(fds)
	}
	if conns[0] == nil {
		return fmt.Errorf("descriptor %d of %d is nil", len(fds)+1, len(fds)+len(conns))
	}
	rc, err := conns[0].SyscallConn()
	if err != nil {
		return fmt.Errorf("descriptor %d: %w", len(fds)+1, err)
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		ferr = withFDs(conns[1:], append(fds, int(fd)), f)
	}); err != nil {
		return fmt.Errorf("descriptor %d: %w", len(fds)+1, err)
	}
	return ferr
}

// fileID identifies the open socket behind a descriptor: two descriptors with the same ID are
// copies of one socket (one passed by a socket unit, one from the fd store, say).
type fileID struct{ dev, ino uint64 }

// idOf reads f's ID without f.Fd, which would put the socket in blocking mode.
func idOf(f *os.File) (fileID, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return fileID{}, false
	}
	var st syscall.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstat(int(fd), &st) }); err != nil || serr != nil {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert // the types differ by platform
}

// barrier sends BARRIER=1 with the write end of a pipe and waits, at most timeout, until the
// service manager closes its copy: it does so once it has processed every message sent before
// (sd_notify_barrier(3)). Nothing is sent outside systemd.
func barrier(timeout time.Duration) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	err = notifyFDs("BARRIER=1", []syscall.Conn{w})
	w.Close()
	if err != nil {
		return err
	}
	if err := r.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		return fmt.Errorf("gracesystemd: the service manager did not confirm the barrier within %v: %v", timeout, err)
	}
	return nil
}
