package gracesystemd

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/gracekit/grace/internal/sdnotify"
)

// ErrBadName is matched by the error of [Store], [Unstore] and [FDStore]'s methods when a
// descriptor name is one systemd would refuse: empty, longer than 255 bytes, or holding a ':' or
// a character outside printable ASCII.
var ErrBadName = sdnotify.ErrBadName

// ErrUnsupported is returned by [Store], [Unstore] and [FDStore]'s methods where descriptors
// cannot be passed over a Unix socket (Windows), and when NOTIFY_SOCKET is an address family
// other than a Unix socket path or an abstract "@" name (such as systemd's vsock: form).
var ErrUnsupported = errors.New("gracesystemd: file-descriptor store not supported here")

// checkName reports whether systemd accepts name as an FDNAME= (fdname_is_valid).
func checkName(name string) error {
	if err := sdnotify.CheckName(name); err != nil {
		return fmt.Errorf("gracesystemd: %w", err)
	}
	return nil
}

// Store hands the descriptors of conns (listeners, connections, *os.File — anything with a
// SyscallConn) to systemd's file-descriptor store under name: one datagram "FDSTORE=1\nFDNAME=name"
// to $NOTIFY_SOCKET carrying the descriptors (SCM_RIGHTS). systemd keeps its own copies, so what
// the process does with conns afterwards (closing them, exiting) does not close the sockets; at
// the service's next start — after a crash, or `systemctl restart` — systemd passes them back
// like socket-activated ones, named in LISTEN_FDNAMES, where [FDStore] and [NamedListeners] find
// them.
//
// The unit must enable the store with FileDescriptorStoreMax= (above the number of descriptors
// the service stores), or systemd drops them with a line in its journal; and systemd takes the
// message only from the processes NotifyAccess= allows (the main process by default). Storing a
// descriptor systemd already holds (the same socket) is harmless: it is kept once. The store
// outlives a `systemctl restart`, and is emptied when the unit stops (FileDescriptorStorePreserve=
// changes that).
//
// Store returns nil and sends nothing when NOTIFY_SOCKET is unset (outside systemd). It returns
// an error matching [ErrBadName] for a name systemd would refuse, and an error naming the socket
// when the datagram cannot be sent; it never closes conns.
func Store(name string, conns ...syscall.Conn) error {
	if err := checkName(name); err != nil {
		return err
	}
	if len(conns) == 0 {
		return nil
	}
	return notifyFDs("FDSTORE=1\nFDNAME="+name, conns)
}

// Unstore removes every descriptor stored under name from systemd's file-descriptor store
// ("FDSTOREREMOVE=1\nFDNAME=name"), and systemd closes its copies: use it when the service stops
// using a stored socket for good, so that the next start is not handed it. It does not close the
// process's own copies. Like [Store] it sends nothing outside systemd, and removing a name that
// holds nothing is not an error.
func Unstore(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return notifyFDs("FDSTOREREMOVE=1\nFDNAME="+name, nil)
}

// notifyFDs sends state with the descriptors of conns to $NOTIFY_SOCKET.
func notifyFDs(state string, conns []syscall.Conn) error {
	err := sdnotify.Send(os.Getenv("NOTIFY_SOCKET"), state, conns...)
	switch {
	case errors.Is(err, sdnotify.ErrAddress):
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	case err != nil:
		return fmt.Errorf("gracesystemd: %w", err)
	}
	return nil
}

// barrier waits, at most timeout, until the service manager has processed every message sent
// before (sd_notify_barrier(3)). Nothing is sent outside systemd.
func barrier(timeout time.Duration) error {
	return sdnotify.Barrier(os.Getenv("NOTIFY_SOCKET"), timeout)
}
