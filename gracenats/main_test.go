package gracenats_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
)

// The tests run against a real nats-server: the Debian package's daemon. scripts/services starts
// one and exports GRACE_TEST_NATS_URL; tests that must freeze or kill their server start a
// private one from the same binary.

func TestMain(m *testing.M) {
	testkit.RunChild(childEnv, childMain)
	goleak.VerifyTestMain(m)
}

// serverURL returns the shared server's URL (GRACE_TEST_NATS_URL), or starts a private server
// for the test when it is unset.
func serverURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("GRACE_TEST_NATS_URL"); u != "" {
		return u
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("GRACE_TEST_NATS_URL is not set: run the tests with make test (scripts/services starts nats-server)")
	}
	return startServer(t).url
}

// server is a nats-server process of the test's own.
type server struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startServer runs the Debian nats-server with JetStream on a free port of 127.0.0.1 and stops
// it when the test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Fatalf("nats-server not found (install the Debian package nats-server; scripts/deps does): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(dir, "store"))
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	s := &server{url: fmt.Sprintf("nats://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(s.done) }()
	t.Cleanup(s.kill)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("nats-server exited at start:\n%s", log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server not listening after 10s: %v", err)
		}
	}
}

// kill ends the server at once and waits for it.
func (s *server) kill() {
	resume(s.cmd.Process) // a frozen process must run to die
	s.cmd.Process.Kill()
	<-s.done
}

func connect(t *testing.T, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(nc.Close) // no-op once the component closed it
	return nc
}

// jetStream connects to the server at url (see connect) and returns the connection and a
// JetStream context on it.
func jetStream(t *testing.T, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc := connect(t, url, opts...)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func uniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newStream creates a stream on subject name.> and a durable pull consumer with explicit acks,
// deleted when the test ends.
func newStream(t *testing.T, url string, ackWait time.Duration) (stream, consumer string) {
	t.Helper()
	stream, consumer = uniqueName("S"), uniqueName("C")
	nc, js := jetStream(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{stream + ".>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatalf("create stream: %v", err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: consumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait,
	}); err != nil {
		t.Fatalf("create consumer: %v", err)
	}
	t.Cleanup(func() {
		if !nc.IsConnected() {
			return // the test's own server, gone
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		js.DeleteStream(ctx, stream)
	})
	return stream, consumer
}

// published makes a stream and its consumer on the shared server (newStream, with an ack wait
// of a minute: longer than a test may take), publishes the values 0..n-1 to it, and returns
// them with a ledger for the messages, counting towards its first run.
func published(t *testing.T, n int) (url, stream, consumer string, tl *testkit.Ledger) {
	t.Helper()
	url = serverURL(t)
	stream, consumer = newStream(t, url, time.Minute)
	publishN(t, url, stream, n)
	tl = testkit.NewLedger("message")
	tl.NextRun()
	return url, stream, consumer, tl
}

// publishN publishes the values 0..n-1 to the stream and waits for every acknowledgement.
func publishN(t *testing.T, url, stream string, n int) {
	t.Helper()
	nc, js := jetStream(t, url)
	defer nc.Close()
	for i := range n {
		if _, err := js.PublishAsync(stream+".events", []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatalf("publishes not acknowledged after 30s")
	}
}

// component is a component of an app a test builds.
type component = testkit.Component

// await waits for ch to be closed, for at most 20 s.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	testkit.Await(t, ch, 20*time.Second, what)
}

// cutMessages reports whether err is a cut error (grace.ErrCut, grace.CutError) counting messages.
func cutMessages(err error) bool {
	_, unit, ok := testkit.Cut(err)
	return ok && unit == "messages"
}

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

// consumerInfo returns what the server says of the consumer now.
func consumerInfo(t *testing.T, url, stream, consumer string) *jetstream.ConsumerInfo {
	t.Helper()
	nc, js := jetStream(t, url)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// settled fails t unless the consumer has nothing pending: every message delivered and acked,
// none redelivered.
func settled(t *testing.T, url, stream, consumer string) {
	t.Helper()
	if info := consumerInfo(t, url, stream, consumer); info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
		t.Errorf("consumer not settled: %d awaiting ack, %d pending, %d redelivered", info.NumAckPending, info.NumPending, info.NumRedelivered)
	}
}

// ackPending waits until the server has delivered n messages of the consumer that are not
// acked yet.
func ackPending(t *testing.T, url, stream, consumer string, n int) {
	t.Helper()
	testkit.Until(t, 10*time.Second, "the messages to be delivered", func() bool {
		return consumerInfo(t, url, stream, consumer).NumAckPending == n
	})
}

// settledSoon waits at most d until the consumer has nothing pending — every message delivered
// and acked — and fails t if it does not.
func settledSoon(t *testing.T, url, stream, consumer string, d time.Duration) {
	t.Helper()
	testkit.Until(t, d, "the consumer to settle", func() bool {
		info := consumerInfo(t, url, stream, consumer)
		return info.NumAckPending == 0 && info.NumPending == 0
	})
}

// slowSubscriber subscribes nc to a new subject with a handler that takes the first message and
// holds it until the test ends, and returns the subject and a channel closed once the handler
// holds it.
func slowSubscriber(t *testing.T, nc *nats.Conn) (subject string, entered <-chan struct{}) {
	t.Helper()
	subject = uniqueName("slow.")
	in, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	if _, err := nc.Subscribe(subject, func(*nats.Msg) { close(in); <-release }); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	return subject, in
}
