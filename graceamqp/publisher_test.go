package graceamqp_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	"github.com/gracekit/grace/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestPublisherStopWaitsForConfirms publishes as fast as it can without waiting for confirms
// (PublishDeferred) until the stop refuses it: the stop waits for every confirm, so nothing is
// counted lost, and the queue holds exactly the messages the publisher took.
func TestPublisherStopWaitsForConfirms(t *testing.T) {
	url, a, q := queueOf(t, 0)
	conn := dial(t, url)
	pub := graceamqp.NewPublisher(conn)
	r := testkit.RunComponents(t, component{Name: "amqp", C: graceamqp.NewConn(conn)}, component{Name: "publisher", C: pub})

	var taken int
	var wg sync.WaitGroup
	stopped := make(chan error, 1)
	wg.Go(func() {
		for i := 0; ; i++ {
			_, err := pub.PublishDeferred(context.Background(), "", q, amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(strconv.Itoa(i))})
			if err != nil {
				stopped <- err
				return
			}
			if taken++; taken == 2000 {
				r.App.Stop("test") // with confirms outstanding
			}
		}
	})
	err := testkit.Recv(t, stopped, 20*time.Second, "the publisher to refuse a message")
	wg.Wait()
	if !errors.Is(err, graceamqp.ErrStopped) {
		t.Fatalf("publish after the stop: %v, want ErrStopped", err)
	}
	rep := r.Wait(t).Report
	if rep.ExitCode != grace.ExitClean || rep.Component("publisher").Account.Lost != 0 {
		t.Fatalf("exit %d, account %+v; want clean with nothing lost:\n%s", rep.ExitCode, rep.Component("publisher").Account, rep)
	}
	a.waitReady(t, q, taken)
	t.Logf("%d messages taken, all confirmed by the stop", taken)
}

// TestPublishWaitsForConfirm: Publish returns once the broker has the message.
func TestPublishWaitsForConfirm(t *testing.T) {
	url, a, q := queueOf(t, 0)
	conn := dial(t, url)
	pub := graceamqp.NewPublisher(conn)
	r := testkit.RunComponents(t, component{Name: "amqp", C: graceamqp.NewConn(conn)}, component{Name: "publisher", C: pub})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 3 {
		if err := pub.Publish(ctx, "", q, amqp.Publishing{Body: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
		if got := a.ready(t, q); got != i+1 {
			t.Fatalf("after Publish returned, the queue holds %d messages, want %d", got, i+1)
		}
	}
	if n := pub.Outstanding(); n != 0 {
		t.Errorf("outstanding %d after confirmed publishes", n)
	}
	r.App.Stop("test")
	if rep := r.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("exit %d:\n%s", rep.ExitCode, rep)
	}
}

// TestPublishRefusedIsLost: a queue that refuses what it cannot hold (x-overflow reject-publish)
// makes the broker nack a publish: Publish returns ErrNacked, and the report counts the message
// as lost.
func TestPublishRefusedIsLost(t *testing.T) {
	url := brokerURL(t)
	a := newAdmin(t, url)
	q := uniqueName("q")
	if _, err := a.ch.QueueDeclare(q, false, false, false, false, amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.ch.QueueDelete(q, false, false, false) })
	conn := dial(t, url)
	pub := graceamqp.NewPublisher(conn)
	r := testkit.RunComponents(t, component{Name: "amqp", C: graceamqp.NewConn(conn)}, component{Name: "publisher", C: pub})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.Publish(ctx, "", q, amqp.Publishing{Body: []byte("1")}); err != nil {
		t.Fatalf("first publish: %v", err)
	}
	if err := pub.Publish(ctx, "", q, amqp.Publishing{Body: []byte("2")}); !errors.Is(err, graceamqp.ErrNacked) {
		t.Fatalf("publish to a full queue: %v, want ErrNacked", err)
	}
	r.App.Stop("test")
	res := r.Wait(t)
	if got := res.Report.Component("publisher").Account; got.Lost != 1 || !errors.Is(res.Err, grace.ErrLost) {
		t.Errorf("account %+v, error %v; want 1 lost and ErrLost", got, res.Err)
	}
}
