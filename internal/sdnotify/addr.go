package sdnotify

import (
	"errors"
	"fmt"
)

// ErrAddress is matched by the error of [Send] and [Barrier] when the address is neither an
// absolute path nor an abstract name ("@name") — systemd's vsock: form, say — and by the error of
// every function on systems without unix datagram sockets.
var ErrAddress = errors.New("notify socket is not a unix socket path or an abstract name")

// checkAddr reports whether addr is a socket this package can send to.
func checkAddr(addr string) error {
	if addr[0] != '/' && addr[0] != '@' {
		return fmt.Errorf("%w: NOTIFY_SOCKET=%q", ErrAddress, addr)
	}
	return nil
}
