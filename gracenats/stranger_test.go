package gracenats_test

// Written from the package doc and doc comments alone, in the shape a user writes: a producer
// worker publishing asynchronously through a Publisher's JetStream context, stopped mid-stream.
// Every publish the client took (PublishAsync returned nil) must be stored in the stream, or
// counted as lost in the report.

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go/jetstream"
)

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
	nc := connect(t, url)
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
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
	nc := connect(t, url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
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
