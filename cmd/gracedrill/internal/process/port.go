package process

import (
	"fmt"
	"net"
	"time"
)

// CheckPortFree returns an error when something already accepts connections on hostport, so a
// drill never measures a process it did not start.
func CheckPortFree(hostport string) error {
	c, err := net.DialTimeout("tcp", hostport, time.Second)
	if err != nil {
		return nil
	}
	_ = c.Close()
	return fmt.Errorf("port in use: %s already accepts connections before the service started (another process is listening there)", hostport)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
