//go:build unix

package graceupgrade

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// notifyBarrier is notify's barrier: it waits until the service manager has read what was sent.
func (u *Upgrader) notifyBarrier() {
	if !u.cfg.notify {
		return
	}
	if err := barrier(os.Getenv("NOTIFY_SOCKET"), 5*time.Second); err != nil {
		u.log.Warn("graceupgrade: service manager barrier failed", "error", err)
	}
}

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
	return send(addr, state, nil)
}

// send writes one datagram, with descriptors rights (syscall.UnixRights) when not nil.
func send(addr, state string, rights []byte) error {
	if rights == nil {
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
	// Descriptors go with sendmsg on an unconnected socket (net refuses WriteMsgUnix on a
	// connected datagram socket).
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return fmt.Errorf("notify socket %q: %w", addr, err)
	}
	defer syscall.Close(fd)
	syscall.CloseOnExec(fd)
	if err := syscall.Sendmsg(fd, []byte(state), rights, &syscall.SockaddrUnix{Name: addr}, 0); err != nil {
		return fmt.Errorf("notify socket %q: %w", addr, err)
	}
	return nil
}

// barrier waits, at most timeout, until the service manager at addr has processed every message
// sent before it (sd_notify's BARRIER=1: a pipe's write end goes with the message, and the
// manager closes it once it got that far). An empty addr returns nil at once.
func barrier(addr string, timeout time.Duration) error {
	if addr == "" {
		return nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	err = send(addr, "BARRIER=1", syscall.UnixRights(int(w.Fd())))
	w.Close() // the manager holds the only other copy
	if err != nil {
		return err
	}
	_ = r.SetReadDeadline(time.Now().Add(timeout))
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		return fmt.Errorf("notify socket %q: no answer to BARRIER=1: %v", addr, err)
	}
	return nil
}
