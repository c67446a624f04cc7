//go:build unix

package graceupgrade

import (
	"os"
	"time"

	"github.com/gracekit/grace/internal/sdnotify"
)

// barrierTimeout bounds how long a parent waits for the service manager to take its successor's
// MAINPID= before it stops.
const barrierTimeout = 5 * time.Second

// notifyBarrier is notify's barrier: it waits until the service manager has read what was sent.
func (u *Upgrader) notifyBarrier() {
	if !u.cfg.notify {
		return
	}
	if err := sdnotify.Barrier(os.Getenv("NOTIFY_SOCKET"), barrierTimeout); err != nil {
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
// abstract socket. An empty addr sends nothing and returns nil; an address of another family
// (vsock:) is an error.
func Notify(addr, state string) error { return sdnotify.Send(addr, state) }
