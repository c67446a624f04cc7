//go:build unix

package sdnotify

import (
	"fmt"
	"os"
	"syscall"
)

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
