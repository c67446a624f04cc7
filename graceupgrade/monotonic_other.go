//go:build unix && !linux

package graceupgrade

// monotonicUsec is 0 where systemd does not run: MONOTONIC_USEC=0 is then sent.
func monotonicUsec() int64 { return 0 }
