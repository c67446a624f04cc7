package testkit_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

func TestConnPairIsOneConnection(t *testing.T) {
	client, server := testkit.ConnPair(t)
	if _, ok := server.(*net.TCPConn); !ok {
		t.Fatalf("server side is %T, want a *net.TCPConn", server)
	}
	if client.LocalAddr().String() != server.RemoteAddr().String() {
		t.Fatalf("client %v, server's peer %v: not the same connection", client.LocalAddr(), server.RemoteAddr())
	}
	if _, err := client.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q, %v", buf, err)
	}
}
