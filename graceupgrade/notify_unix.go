//go:build unix

package graceupgrade

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// notify sends state to the service manager, if it listens and notifying is on. Failures are
// logged: an upgrade does not depend on them.
func (u *Upgrader) notify(state string) {
	if !u.cfg.notify {
		return
	}
	if err := Notify(os.Getenv("NOTIFY_SOCKET"), state); err != nil {
		u.log.Warn("graceupgrade: service manager notification failed", "state", state, "error", err)
	}
}

// Notify sends state, one datagram of newline-separated KEY=VALUE assignments (sd_notify(3)),
// to the unix datagram socket at addr — the value of NOTIFY_SOCKET; a leading '@' names an
// abstract socket. An empty addr sends nothing and returns nil.
func Notify(addr, state string) error {
	if addr == "" {
		return nil
	}
	if strings.HasPrefix(addr, "vsock:") {
		return fmt.Errorf("notify socket %q: vsock is not supported", addr)
	}
	if addr[0] != '/' && addr[0] != '@' {
		return fmt.Errorf("notify socket %q: not an absolute path or an abstract name", addr)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify socket %q: %w", addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify socket %q: %w", addr, err)
	}
	return nil
}
