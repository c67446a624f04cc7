//go:build !unix

package grace

import "os"

// On Windows a console's Ctrl-C and Ctrl-Break arrive as os.Interrupt; there is no SIGTERM to catch.
func defaultSignals() []os.Signal { return []os.Signal{os.Interrupt} }
