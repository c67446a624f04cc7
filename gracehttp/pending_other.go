//go:build !unix

package gracehttp

import "net"

// pending cannot peek on this system: a connection that has not carried a request counts as
// empty, and is closed at the linger.
func pending(net.Conn) bool { return false }
