package testkit

import (
	"net"
	"testing"
)

// ConnPair returns the two ends of a TCP connection on 127.0.0.1: the dialling client and the
// server's accepted side, each a real socket (a *net.TCPConn, so deadlines and SyscallConn
// work). Both are closed when the test ends.
func ConnPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}
