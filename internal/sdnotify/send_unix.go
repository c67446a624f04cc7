//go:build unix

package sdnotify

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// SendTimeout bounds one send: a manager too busy to take a datagram must not hang the service.
const SendTimeout = 5 * time.Second

// Send sends state, one datagram, to the unix datagram socket addr — the value of NOTIFY_SOCKET;
// a leading '@' names an abstract socket — with the descriptors of conns attached (SCM_RIGHTS).
// The descriptors are borrowed for the send (SyscallConn.Control), never duplicated or closed.
// An empty addr sends nothing and returns nil. The error names the socket and the first line
// of state.
func Send(addr, state string, conns ...syscall.Conn) error {
	if addr == "" {
		return nil
	}
	if err := checkAddr(addr); err != nil {
		return err
	}
	if err := send(addr, state, conns); err != nil {
		return fmt.Errorf("send %q to NOTIFY_SOCKET %s: %w", firstLine(state), addr, err)
	}
	return nil
}

// send writes the datagram with sendmsg on an unconnected socket (net refuses WriteMsgUnix on a
// connected datagram socket).
func send(addr, state string, conns []syscall.Conn) error {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer syscall.Close(fd)
	syscall.CloseOnExec(fd)
	tv := syscall.NsecToTimeval(SendTimeout.Nanoseconds())
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
	n := len(fds) + 1
	if conns[0] == nil {
		return fmt.Errorf("descriptor %d of %d is nil", n, len(fds)+len(conns))
	}
	rc, err := conns[0].SyscallConn()
	if err != nil {
		return fmt.Errorf("descriptor %d: %w", n, err)
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = withFDs(conns[1:], append(fds, int(fd)), f) }); err != nil {
		return fmt.Errorf("descriptor %d: %w", n, err)
	}
	return ferr
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
