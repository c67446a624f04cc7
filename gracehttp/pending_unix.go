//go:build unix

package gracehttp

import (
	"net"
	"syscall"
)

// pending reports whether bytes the server has not read yet wait on c: on a connection that has
// not carried a request, a request on its way. It peeks without consuming and without waiting.
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
	if err := raw.Read(func(fd uintptr) bool {
		n, _, _ = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readiness: the answer is now or never
	}); err != nil {
		return false
	}
	return n > 0
}
