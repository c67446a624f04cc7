package gracenats_test

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go/jetstream"
)

// Written from the package doc and doc comments alone, in the shape a user writes: a producer
// worker publishing asynchronously through a Publisher's JetStream context, stopped mid-stream.
// Every publish the client took (PublishAsync returned nil) must be stored in the stream, or
// counted as lost in the report.

// strangerProducer publishes 0, 1, 2… asynchronously until its ctx ends, counting each publish
// the client took, and closes reached once it took mark of them.
func strangerProducer(pub *gracenats.Publisher, subject string, accepted *atomic.Int64, mark int64, reached chan<- struct{}) grace.RunFunc {
	return func(ctx context.Context) error {
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := pub.JetStream().PublishAsync(subject, []byte(strconv.Itoa(i))); err != nil {
				if ctx.Err() != nil || errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
					continue // stalled by a server that does not answer: try again until stopped
				}
				return err
			}
			if accepted.Add(1) == mark {
				close(reached)
			}
		}
		return nil
	}
}

// strangerRunUntil runs app until reached is closed, then calls before (if any) and stops the
// app, and returns its report and error.
func strangerRunUntil(t *testing.T, app *grace.App, reached <-chan struct{}, before func()) (*grace.Report, error) {
	t.Helper()
	r := testkit.Run(t, app)
	select {
	case <-reached:
	case <-r.Ended():
		res := r.Wait(t)
		t.Fatalf("app ended early: %v\n%s", res.Err, res.Report)
	case <-time.After(20 * time.Second):
		t.Fatal("the producer did not reach its mark in 20 s")
	}
	if before != nil {
		before()
	}
	app.Stop("test: mid-stream")
	res := r.Wait(t)
	return res.Report, res.Err
}

func streamMsgs(t *testing.T, url, stream string) uint64 {
	t.Helper()
	nc, js := jetStream(t, url)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s info: %v", stream, err)
	}
	return info.State.Msgs
}

// The package doc's order: Conn first, then the Publisher, then the producer. With the server up,
// the publisher's stop waits for every acknowledgement: everything taken is stored, nothing lost.
func TestStrangerPublisherStoppedMidStream(t *testing.T) {
	url := serverURL(t)
	stream, _ := newStream(t, url, time.Minute)
	nc, js := jetStream(t, url)
	pub := gracenats.NewPublisher(js)
	var accepted atomic.Int64
	reached := make(chan struct{})
	app := grace.New(grace.WithBudget(10*time.Second), grace.WithDrainDelay(0))
	app.Add("nats", gracenats.NewConn(nc))
	app.Add("publisher", pub)
	app.Add("producer", strangerProducer(pub, stream+".events", &accepted, 2000, reached))

	rep, err := strangerRunUntil(t, app, reached, nil)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, rep)
	}
	stored := streamMsgs(t, url, stream)
	if int64(stored) < accepted.Load()-rep.Lost {
		t.Fatalf("client took %d publishes, report says lost %d, stream holds %d: %d vanished\n%s",
			accepted.Load(), rep.Lost, stored, accepted.Load()-rep.Lost-int64(stored), rep)
	}
	if rep.Lost != 0 || int64(stored) != accepted.Load() || rep.ExitCode != grace.ExitClean {
		t.Fatalf("server up: took %d, stored %d, lost %d, exit code %d; want all stored, clean\n%s",
			accepted.Load(), stored, rep.Lost, rep.ExitCode, rep)
	}
	t.Logf("published %d, all stored", stored)
}

// These tests are written from the package doc alone, in the shape of a service that uses it: a
// producer app publishes orders to a stream, a consumer app handles them. Each tries to lose
// work and checks that the report admits what the stop left undone.

// TestUserPublisherServerGoneReportsLost: the orders service publishes asynchronously through a
// Publisher; the network to the server goes dark (a partition: nothing answers, nothing fails);
// at the stop those publishes cannot be acknowledged. The report counts each as lost, the exit
// code is grace.ExitLost and Run's error matches grace.ErrLost — never a clean exit.
func TestUserPublisherServerGoneReportsLost(t *testing.T) {
	const n = 50
	srv := serverURL(t)
	stream, _ := newStream(t, srv, time.Minute)
	u, err := url.Parse(srv)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testkit.StartProxy(t, u.Host)
	nc, js := jetStream(t, "nats://"+proxy.Addr())
	pub := gracenats.NewPublisher(js)
	app := testkit.NewApp()
	app.Add("nats", gracenats.NewConn(nc), grace.StopTimeout(time.Second))
	app.Add("publisher", pub, grace.StopTimeout(time.Second))
	r := testkit.Run(t, app)
	r.Ready(t)

	// An order acknowledged while the server answers...
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.Publish(ctx, stream+".orders", []byte("acked")); err != nil {
		t.Fatal(err)
	}
	// ...and the rest published into the partition.
	proxy.Blackhole()
	for i := range n {
		if _, err := js.PublishAsync(stream+".orders", []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	app.Stop("deploy")
	res := r.Wait(t)
	rep := res.Report
	if rep.ExitCode != grace.ExitLost || !errors.Is(res.Err, grace.ErrLost) || !errors.Is(res.Err, gracenats.ErrUnacked) {
		t.Fatalf("exit %d, error %v; want ExitLost, ErrLost and ErrUnacked:\n%s", rep.ExitCode, res.Err, rep)
	}
	if acc := rep.Component("publisher").Account; rep.Lost != n || acc.Unit != "messages" || acc.Lost != n {
		t.Errorf("report lost %d, publisher's account %+v; want %d messages lost:\n%s", rep.Lost, acc, n, rep)
	}
}

// TestUserConsumerCutReportsHandedBack: a consumer whose handler outlives the stop limit is cut
// at the deadline. What it had pulled and not acked is handed back — the server delivers it again
// — so the report counts it as handed back, nothing as lost, and the exit code is not ExitLost.
// The next run handles exactly what was handed back, once: at once when the stop nak'd it. When
// the pull's drain did not complete within the little time the hard stop leaves, the stop says
// so and does not nak (see Consumer.handBack), and the server may hold the messages until the
// AckWait: the test then waits that long (a loaded machine sees both cases).
func TestUserConsumerCutReportsHandedBack(t *testing.T) {
	const (
		n     = 40
		batch = 10
	)
	url, stream, consumer, tl := published(t, n)
	var calls atomic.Int32
	var logs testkit.Buffer
	slow := make(chan struct{})
	nc, js := jetStream(t, url)
	cons := gracenats.NewConsumer(js, stream, consumer, func(ctx context.Context, msg jetstream.Msg) error {
		if calls.Add(1) == 3 { // the third order takes longer than the stop allows
			close(slow)
			<-ctx.Done()
			return ctx.Err()
		}
		return tl.Add(msg.Data())
	}, gracenats.WithBatch(batch), gracenats.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	app := testkit.NewApp()
	app.Add("nats", gracenats.NewConn(nc), grace.StopTimeout(5*time.Second))
	app.Add("orders", cons, grace.StopTimeout(300*time.Millisecond))
	r := testkit.Run(t, app)
	testkit.Await(t, slow, 20*time.Second, "the slow message")
	app.Stop("deploy")
	rep := r.Wait(t).Report
	if rep.ExitCode == grace.ExitLost || rep.Lost != 0 {
		t.Fatalf("exit %d, lost %d; want nothing lost:\n%s", rep.ExitCode, rep.Lost, rep)
	}
	handBack := cons.Account().HandedBack
	if acc := rep.Component("orders").Account; acc.Unit != "messages" || acc.HandedBack < 1 {
		t.Errorf("report's account %+v, want the message cut off handed back at least", acc)
	}

	tl.NextRun()
	var redelivered atomic.Int64
	_, _, cs := service(t, url, stream, consumer, batch, func(ctx context.Context, msg jetstream.Msg) error {
		if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
			redelivered.Add(1)
		}
		return tl.Add(msg.Data())
	}, 10*time.Second)
	r2 := testkit.RunComponents(t, cs...)
	within := 10 * time.Second // well within the one-minute AckWait: the hand-back nak'd them
	if strings.Contains(logs.String(), "after the ack wait") {
		within = time.Minute + 15*time.Second // not nak'd: back once the AckWait is out
		t.Logf("the stop did not nak what it handed back: %s", logs.String())
	}
	tl.WaitDistinct(t, n, within)
	r2.App.Stop("test")
	r2.Wait(t)
	if _, dups, _, _ := tl.Snapshot(); dups[1] != 0 || redelivered.Load() != handBack {
		t.Errorf("second run: %d handled again, %d redelivered; want none again and the %d handed back", dups[1], redelivered.Load(), handBack)
	}
}

// TestUserPublisherAllAcked: with the server there, the Publisher's stop waits for every
// asynchronous publish to be acknowledged; nothing is lost and the exit is clean.
func TestUserPublisherAllAcked(t *testing.T) {
	const n = 500
	srv := serverURL(t)
	stream, _ := newStream(t, srv, time.Minute)
	nc, js := jetStream(t, srv)
	pub := gracenats.NewPublisher(js)
	app := testkit.NewApp()
	app.Add("nats", gracenats.NewConn(nc), grace.StopTimeout(5*time.Second))
	app.Add("publisher", pub, grace.StopTimeout(5*time.Second))
	r := testkit.Run(t, app)
	r.Ready(t)
	futures := make([]jetstream.PubAckFuture, n)
	for i := range n {
		var err error
		if futures[i], err = js.PublishAsync(stream+".orders", []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	app.Stop("deploy") // at once: most acks are still to come
	rep := r.Wait(t).Report
	if rep.ExitCode != grace.ExitClean || rep.Lost != 0 {
		t.Fatalf("exit %d, lost %d; want clean:\n%s", rep.ExitCode, rep.Lost, rep)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		default:
			t.Fatalf("publish %d not acknowledged when the stop returned", i)
		}
	}
}
