//go:build windows

package process

import "os"

// On Windows only Kill can be delivered to another process.
func signals() map[string]os.Signal { return map[string]os.Signal{"KILL": os.Kill} }
