//go:build unix

package gracenats_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go/jetstream"
)

// The dependency gone: the server freezes mid-stream, with publishes unacknowledged. The doc says
// the publisher waits up to its cut, counts those still unacknowledged as lost, returns an
// UnackedError, and the exit code is ExitLost. After the server resumes, what is stored plus what
// was counted lost covers everything the client took.
func TestStrangerPublisherServerFrozenMidStream(t *testing.T) {
	s := startServer(t)
	stream, _ := newStream(t, s.url, time.Minute)
	nc := connect(t, s.url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	pub := gracenats.NewPublisher(js)
	var accepted atomic.Int64
	reached := make(chan struct{})
	app := grace.New(grace.WithBudget(10*time.Second), grace.WithDrainDelay(0))
	app.Add("nats", gracenats.NewConn(nc), grace.StopTimeout(time.Second))
	app.Add("publisher", pub, grace.StopTimeout(time.Second))
	app.Add("producer", strangerProducer(pub, stream+".events", &accepted, 2000, reached))

	rep, err := strangerRunUntil(t, app, reached, func() {
		s.freeze(t)
		// Publishes taken after the freeze cannot be acknowledged: wait for some.
		mark, deadline := accepted.Load()+100, time.Now().Add(10*time.Second)
		for accepted.Load() < mark {
			if time.Now().After(deadline) {
				t.Fatalf("the client took %d publishes, not %d, in 10 s after the freeze", accepted.Load(), mark)
			}
			time.Sleep(time.Millisecond) // polled with a deadline
		}
	})
	resume(s.cmd.Process)
	if rep.Lost == 0 || rep.ExitCode != grace.ExitLost || !errors.Is(err, grace.ErrLost) {
		t.Fatalf("frozen server: lost %d, exit code %d, err %v; want lost > 0, ExitLost, ErrLost\n%s",
			rep.Lost, rep.ExitCode, err, rep)
	}
	var ue *gracenats.UnackedError
	if !errors.As(err, &ue) {
		t.Fatalf("Run's error %v; want an UnackedError", err)
	}
	if n, _, cut := testkit.Cut(ue); !cut || n != ue.Messages || int64(ue.Messages) != rep.Component("publisher").Lost {
		t.Fatalf("Run's error %v; want an UnackedError (a grace.CutError) with the publisher's lost count %d", err, rep.Component("publisher").Lost)
	}
	stored := streamMsgs(t, s.url, stream)
	if int64(stored) < accepted.Load()-rep.Lost {
		t.Fatalf("client took %d publishes, report says lost %d, stream holds %d: %d vanished\n%s",
			accepted.Load(), rep.Lost, stored, accepted.Load()-rep.Lost-int64(stored), rep)
	}
	t.Logf("took %d, lost %d (publisher %d), stored %d", accepted.Load(), rep.Lost, rep.Component("publisher").Lost, stored)
}
