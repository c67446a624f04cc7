package graceamqp_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"
)

// The tests run against a real RabbitMQ: the Debian rabbitmq-server that scripts/services starts
// and hands over as GRACE_TEST_AMQP_URL. The tests that freeze or kill their broker start a
// private one from the same package (broker_unix_test.go).

func TestMain(m *testing.M) {
	testkit.RunChild(childEnv, childMain)
	flag.Parse()
	run := flag.Lookup("test.run").Value.String()
	needed, err := regexp.MatchString(strings.Split(run, "/")[0], "TestBrokerUnreachableAtStop")
	stop := startEarly(run == "" || err != nil || needed)
	code := m.Run()
	stop() // before the leak check: the broker's wait goroutine ends with it
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func brokerURL(t *testing.T) string {
	t.Helper()
	return testkit.Env(t, testkit.EnvAMQPURL)
}

func dial(t *testing.T, url string) *amqp.Connection {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close() }) // no-op once a component closed it
	return conn
}

func uniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// admin is a connection and channel of the test's own, for declaring queues and looking at them.
type admin struct {
	conn *amqp.Connection
	ch   *amqp.Channel
}

func newAdmin(t *testing.T, url string) *admin {
	t.Helper()
	conn := dial(t, url)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return &admin{conn: conn, ch: ch}
}

// queue declares a new queue, deleted when the test ends.
func (a *admin) queue(t *testing.T) string {
	t.Helper()
	q := uniqueName("q")
	if _, err := a.ch.QueueDeclare(q, true, false, false, false, nil); err != nil {
		t.Fatalf("declare queue: %v", err)
	}
	t.Cleanup(func() {
		if !a.conn.IsClosed() && !a.ch.IsClosed() {
			a.ch.QueueDelete(q, false, false, false)
		}
	})
	return q
}

// ready returns how many messages of queue wait for a consumer (not counting those delivered
// and not yet acked).
func (a *admin) ready(t *testing.T, queue string) int {
	t.Helper()
	q, err := a.ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q.Messages
}

// consumers returns how many consumers queue has.
func (a *admin) consumers(t *testing.T, queue string) int {
	t.Helper()
	q, err := a.ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q.Consumers
}

// waitReady waits until queue has exactly n messages ready, at most 20 s.
func (a *admin) waitReady(t *testing.T, queue string, n int) {
	t.Helper()
	got := -1
	testkit.Until(t, 20*time.Second, "queue "+queue+" to hold "+strconv.Itoa(n)+" ready messages", func() bool {
		got = a.ready(t, queue)
		return got == n
	})
}

// queueOf declares a queue of the test's own on the shared broker and publishes the values
// 0..n-1 to it (nothing if n is 0), waiting for the broker's confirms.
func queueOf(t *testing.T, n int) (url string, a *admin, q string) {
	t.Helper()
	url = brokerURL(t)
	a = newAdmin(t, url)
	q = a.queue(t)
	if n > 0 {
		publishN(t, url, q, n)
	}
	return url, a, q
}

// publishN publishes the values 0..n-1 to queue, persistent, and waits for the broker to
// confirm every one.
func publishN(t *testing.T, url, queue string, n int) {
	t.Helper()
	conn := dial(t, url)
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last *amqp.DeferredConfirmation
	for i := range n {
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", queue, false, false, amqp.Publishing{
			DeliveryMode: amqp.Persistent, Body: []byte(strconv.Itoa(i)),
		})
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		last = dc
	}
	if last != nil {
		if ok, err := last.WaitContext(ctx); err != nil || !ok {
			t.Fatalf("publishes not confirmed: acked %v, %v", ok, err)
		}
	}
}

// component is a component of an app a test builds.
type component = testkit.Component
