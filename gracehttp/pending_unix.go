//go:build unix

package gracehttp

import (
	"net"
	"syscall"
)

// pending reports whether bytes the server has not read yet wait on c: on a connection that has
// not carried a request, a request on its way. It peeks without consuming and without waiting —
// also not for the socket's read side, which net/http's goroutine holds while it waits for the
// first request (Control, unlike RawConn.Read, takes no lock but the descriptor's reference).
func pending(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var n int
	var buf [1]byte
	if err := raw.Control(func(fd uintptr) {
		n, _, _ = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	}); err != nil {
		return false
	}
	return n > 0
}
