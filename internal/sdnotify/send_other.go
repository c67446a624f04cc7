//go:build !unix

package sdnotify

import (
	"fmt"
	"syscall"
	"time"
)

// SendTimeout bounds one send.
const SendTimeout = 5 * time.Second

// Send returns an error matching [ErrAddress] unless addr is empty: this system has no unix
// datagram sockets to pass descriptors over.
func Send(addr, state string, conns ...syscall.Conn) error {
	if addr == "" {
		return nil
	}
	return fmt.Errorf("%w: NOTIFY_SOCKET=%q", ErrAddress, addr)
}

// Barrier returns what [Send] returns.
func Barrier(addr string, timeout time.Duration) error { return Send(addr, "BARRIER=1") }
