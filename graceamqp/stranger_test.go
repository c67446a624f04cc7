package graceamqp_test

// Written from the package doc and doc comments alone, in the shape a user writes, against the
// real RabbitMQ: a producer worker publishing through a Publisher, stopped mid-stream; then a
// Consumer with a slow handler, stopped mid-queue, and a second run of it that takes the rest.
// Every message the Publisher accepted must be in the queue or counted as lost; every message in
// the queue must be handled exactly once across the two runs (a clean stop hands back, and
// handles nothing twice).

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	"github.com/gracekit/grace/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// strangerRun runs app until next has fired `after` times, stops it, and returns its report.
func strangerRun(t *testing.T, app *grace.App, next <-chan struct{}, after int) (*grace.Report, error) {
	t.Helper()
	r := testkit.Run(t, app)
	deadline := time.After(20 * time.Second)
	for i := 0; i < after; i++ {
		select {
		case <-next:
		case <-r.Ended():
			res := r.Wait(t)
			t.Fatalf("app ended early after %d events: %v\n%s", i, res.Err, res.Report)
		case <-deadline:
			t.Fatalf("%d events of %d in 20 s", i, after)
		}
	}
	app.Stop("test: mid-stream")
	res := r.Wait(t)
	return res.Report, res.Err
}

func TestStrangerPublishStopConsumeStopRestart(t *testing.T) {
	url := brokerURL(t)
	setup, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer setup.Close()
	sch, err := setup.Channel()
	if err != nil {
		t.Fatal(err)
	}
	queue := uniqueName("stranger")
	if _, err := sch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	defer sch.QueueDelete(queue, false, false, false)
	inQueue := func() int {
		q, err := sch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err != nil {
			t.Fatalf("inspect queue: %v", err)
		}
		return q.Messages
	}

	// 1. Publish until stopped mid-stream. The producer depends on the publisher (added after it,
	// the safe default), and the publisher on the connection.
	var accepted atomic.Int64
	published := make(chan struct{}, 1)
	conn1, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	pub := graceamqp.NewPublisher(conn1)
	app1 := grace.New(grace.WithBudget(10*time.Second), grace.WithDrainDelay(0))
	app1.Add("amqp", graceamqp.NewConn(conn1))
	app1.Add("publisher", pub)
	app1.Add("producer", grace.RunFunc(func(ctx context.Context) error {
		for i := 0; ctx.Err() == nil; i++ {
			// Deferred: many confirms outstanding when the stop comes.
			_, err := pub.PublishDeferred(ctx, "", queue, amqp.Publishing{
				DeliveryMode: amqp.Persistent, Body: []byte(strconv.Itoa(i))})
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, graceamqp.ErrStopped) {
					return nil
				}
				return err
			}
			accepted.Add(1)
			select {
			case published <- struct{}{}:
			default:
			}
		}
		return nil
	}))
	rep1, err := strangerRun(t, app1, published, 500)
	if err != nil {
		t.Fatalf("publishing run: %v\n%s", err, rep1)
	}
	total := inQueue()
	if int64(total) < accepted.Load()-rep1.Lost {
		t.Fatalf("publisher accepted %d, report says lost %d, queue holds %d: %d vanished\n%s",
			accepted.Load(), rep1.Lost, total, accepted.Load()-rep1.Lost-int64(total), rep1)
	}
	if rep1.Lost != 0 || int64(total) != accepted.Load() {
		t.Fatalf("the broker was up: accepted %d, in queue %d, lost %d; want all in the queue\n%s",
			accepted.Load(), total, rep1.Lost, rep1)
	}

	// 2. Consume with a slow handler, stop mid-queue, then run again until the queue is empty.
	var mu sync.Mutex
	handled := map[string]int{}
	got := make(chan struct{}, total+1) // one per message handled: never dropped
	handle := func(ctx context.Context, d amqp.Delivery) error {
		select {
		case <-time.After(time.Millisecond): // slow work, honouring ctx as the doc asks
		case <-ctx.Done():
			return ctx.Err()
		}
		mu.Lock()
		handled[string(d.Body)]++
		mu.Unlock()
		select {
		case got <- struct{}{}:
		default:
		}
		return nil
	}
	consume := func(after int) *grace.Report {
		conn, err := amqp.Dial(url)
		if err != nil {
			t.Fatal(err)
		}
		app := grace.New(grace.WithBudget(10*time.Second), grace.WithDrainDelay(0))
		app.Add("amqp", graceamqp.NewConn(conn))
		app.Add("consumer", graceamqp.NewConsumer(conn, queue, handle, graceamqp.WithPrefetch(50)))
		rep, err := strangerRun(t, app, got, after)
		if err != nil {
			t.Fatalf("consuming run: %v\n%s", err, rep)
		}
		return rep
	}
	rep2 := consume(min(200, total/2))
	if rep2.Lost != 0 || rep2.ExitCode != grace.ExitClean {
		t.Fatalf("first consuming run lost %d, exit code %d\n%s", rep2.Lost, rep2.ExitCode, rep2)
	}
	mu.Lock()
	first := len(handled)
	mu.Unlock()
	if left := inQueue(); left+first != total {
		t.Fatalf("queue held %d, handled %d, %d back in the queue: %d vanished\n%s",
			total, first, left, total-first-left, rep2)
	}
	if rep2.HandedBack == 0 {
		t.Errorf("a slow handler with prefetch 50 handed nothing back?\n%s", rep2)
	}

	// The restart takes the rest: wait for the remaining messages, then stop.
	for len(got) > 0 {
		<-got // events of the first run's drain
	}
	remaining := total - first
	rep3 := consume(remaining)
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != total {
		t.Fatalf("%d messages published, %d handled across both runs", total, len(handled))
	}
	for body, n := range handled {
		if n != 1 {
			t.Errorf("message %s handled %d times across clean stops", body, n)
		}
	}
	for i := range total {
		if handled[strconv.Itoa(i)] != 1 {
			t.Fatalf("message %d never handled", i)
		}
	}
	if rep3.Lost != 0 {
		t.Fatalf("second consuming run lost %d\n%s", rep3.Lost, rep3)
	}
	t.Logf("published %d, first run handled %d (handed back %d), second run handled the remaining %d",
		total, first, rep2.HandedBack, remaining)
}
