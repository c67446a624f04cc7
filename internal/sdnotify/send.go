package sdnotify

import (
	"fmt"
	"syscall"
	"time"
)

// SendTimeout bounds one send: a manager too busy to take a datagram must not hang the service.
const SendTimeout = 5 * time.Second

// Send sends state, one datagram, to the unix datagram socket addr — the value of NOTIFY_SOCKET;
// a leading '@' names an abstract socket — with the descriptors of conns attached (SCM_RIGHTS).
// The descriptors are borrowed for the send (SyscallConn.Control), never duplicated or closed.
// An empty addr sends nothing and returns nil. The error names the socket and the first line
// of state; on systems without unix datagram sockets it matches [ErrAddress].
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

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
