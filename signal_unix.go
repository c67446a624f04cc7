//go:build unix

package grace

import (
	"os"
	"syscall"
)

func defaultSignals() []os.Signal { return []os.Signal{syscall.SIGTERM, os.Interrupt} }
