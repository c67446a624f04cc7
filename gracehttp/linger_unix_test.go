//go:build unix

package gracehttp_test

import (
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// A connection accepted but not yet read from is closed at the linger only when nothing waits on
// it: a request that arrived before net/http read it (a busy machine) must not be reset.
func TestLingerSparesARequestOnItsWay(t *testing.T) {
	client, server := testkit.ConnPair(t)

	if closeIt, wait := gracehttp.LingerCloses(server); !closeIt || wait {
		t.Errorf("nothing sent: close %v, wait %v; want it closed", closeIt, wait)
	}
	if _, err := client.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	testkit.Until(t, 5*time.Second, "the linger to spare a connection with a request on its way", func() bool {
		closeIt, wait := gracehttp.LingerCloses(server)
		return !closeIt && wait
	})
	buf := make([]byte, 64)
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := server.Read(buf); err != nil || string(buf[:3]) != "GET" {
		t.Fatalf("the peek consumed the request: %q %v", buf[:n], err)
	}
}
