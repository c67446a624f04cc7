//go:build !unix

package gracenats_test

import "os"

// resume does nothing where processes cannot be frozen.
func resume(*os.Process) {}
