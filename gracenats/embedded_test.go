package gracenats_test

import (
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// embeddedServer starts nats-server 2.15 in the test's process, with JetStream, and stops it
// when the test ends. The Debian nats-server the other tests use (2.9) has a bug that makes a
// nak'd message be delivered twice in some races (nats-io/nats-server#5305, fixed in 2.10.14);
// the consumer works around it for its own hand-back, but a test that checks exactly-once
// delivery at any moment of a stop needs a server without it.
func embeddedServer(t *testing.T) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatalf("embedded nats-server: %v", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		t.Fatal("embedded nats-server not ready after 10s")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns.ClientURL()
}
