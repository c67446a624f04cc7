package gracesystemd

import (
	"errors"
	"fmt"
	"net"

	"github.com/coreos/go-systemd/v22/activation"
)

// ErrNotListener is matched by the error of [Listeners] when systemd passed a socket that is
// not a listening stream socket (a datagram socket or a FIFO, from ListenDatagram= or
// ListenFIFO=).
var ErrNotListener = errors.New("not a listening stream socket")

// Listeners returns the listening sockets systemd passed to this process (socket activation), in
// the order of the socket unit's ListenStream= lines. It returns no listeners and no error when
// the process was not socket-activated: LISTEN_FDS unset, or LISTEN_PID unset or another
// process's pid (the variables were inherited from a parent).
//
// Listeners takes the sockets: it unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, so child
// processes do not claim them and a second call returns none; and it marks the descriptors
// close-on-exec. If any of the sockets is not a listening stream socket it closes every socket
// and returns an error matching [ErrNotListener] that names the descriptor.
//
// The listeners can be served by gracehttp (as its listeners) or any net/http server. Because
// the socket belongs to systemd, connections that arrive while the service restarts wait in the
// socket's backlog instead of being refused.
func Listeners() ([]net.Listener, error) {
	named, err := listeners()
	if err != nil {
		return nil, err
	}
	ls := make([]net.Listener, 0, len(named))
	for _, l := range named {
		ls = append(ls, l.Listener)
	}
	return ls, nil
}

// NamedListeners is [Listeners] keyed by the names systemd passed in LISTEN_FDNAMES (the socket
// unit's FileDescriptorName=, by default the socket unit's name); a socket without a name is
// keyed "LISTEN_FD_<n>". Several sockets can share a name; their order is kept.
func NamedListeners() (map[string][]net.Listener, error) {
	named, err := listeners()
	if err != nil {
		return nil, err
	}
	m := make(map[string][]net.Listener, len(named))
	for _, l := range named {
		m[l.name] = append(m[l.name], l.Listener)
	}
	return m, nil
}

type namedListener struct {
	net.Listener
	name string
}

func listeners() ([]namedListener, error) {
	files := activation.Files(true)
	ls := make([]namedListener, 0, len(files))
	var err error
	for i, f := range files {
		if err == nil {
			var l net.Listener
			l, err = net.FileListener(f)
			if err == nil {
				ls = append(ls, namedListener{l, f.Name()})
			} else {
				err = fmt.Errorf("gracesystemd: socket-activated descriptor %d (%s): %w: %w",
					3+i, f.Name(), ErrNotListener, err)
			}
		}
		f.Close() // FileListener made its own copy
	}
	if err != nil {
		for _, l := range ls {
			l.Close()
		}
		return nil, err
	}
	return ls, nil
}
