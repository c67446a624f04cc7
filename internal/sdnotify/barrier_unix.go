//go:build unix

package sdnotify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Barrier sends BARRIER=1 to addr with the write end of a pipe and waits, at most timeout, until
// the service manager closes its copy, which it does once it has processed every message sent
// before (sd_notify_barrier(3)). An empty addr returns nil at once.
func Barrier(addr string, timeout time.Duration) error {
	if addr == "" {
		return nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	err = Send(addr, "BARRIER=1", w)
	_ = w.Close() // the manager holds the only other copy
	if err != nil {
		return err
	}
	if err := r.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		return fmt.Errorf("NOTIFY_SOCKET %s: no answer to BARRIER=1 within %v: %v", addr, timeout, err)
	}
	return nil
}
