//go:build !unix

package sdnotify

import (
	"syscall"
	"time"
)

// send fails: this system has no unix datagram sockets to pass descriptors over.
func send(string, string, []syscall.Conn) error { return ErrAddress }

// Barrier returns what [Send] returns.
func Barrier(addr string, timeout time.Duration) error { return Send(addr, "BARRIER=1") }
