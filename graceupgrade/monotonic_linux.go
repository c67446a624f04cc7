package graceupgrade

import (
	"syscall"
	"unsafe"
)

// monotonicUsec reads CLOCK_MONOTONIC in microseconds, the clock of systemd's MONOTONIC_USEC=.
func monotonicUsec() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return ts.Nano() / 1000
}
