//go:build unix

package gracenats_test

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go"
)

// freeze stops the server process (SIGSTOP): connections stay open but nothing answers.
func (s *server) freeze(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
}

// resume lets a frozen process run again.
func resume(p *os.Process) { p.Signal(syscall.SIGCONT) }

// TestUnreachableServerAtStop: whether the server is dead (the client reconnecting) or frozen
// (connections open, nothing answers), neither component's stop outlasts its limit.
func TestUnreachableServerAtStop(t *testing.T) {
	const limit = time.Second
	for _, how := range []string{"killed", "frozen"} {
		t.Run(how, func(t *testing.T) {
			s := startServer(t)
			stream, consumer := newStream(t, s.url, time.Minute)
			publishN(t, s.url, stream, 100)
			tl := testkit.NewLedger("message")
			tl.NextRun()
			conn, _, cs := service(t, s.url, stream, consumer, 10, handler(tl), limit)
			r := testkit.RunComponents(t, cs...)
			tl.WaitDistinct(t, 100, 10*time.Second)
			nc := conn.Conn()
			nc.Publish(uniqueName("late."), []byte("late")) // buffered, never to be flushed
			if how == "killed" {
				reconnecting := nc.StatusChanged(nats.RECONNECTING)
				s.kill()
				select {
				case <-reconnecting:
				case <-time.After(10 * time.Second):
					t.Fatal("client not reconnecting 10s after the server died")
				}
			} else {
				s.freeze(t)
			}
			begin := time.Now()
			r.App.Stop("test")
			rep := r.Wait(t).Report
			took := time.Since(begin)
			for _, name := range []string{"orders", "nats"} {
				if cr := rep.Component(name); cr.Stop > limit+200*time.Millisecond {
					t.Errorf("%s: stop took %v, limit %v", name, cr.Stop, limit)
				}
			}
			if took > 2*limit+time.Second {
				t.Errorf("app stop took %v with the server %s", took, how)
			}
			t.Logf("server %s: stop %v; orders %s in %v (%s); nats %s in %v (%s)", how, took.Round(time.Millisecond),
				rep.Component("orders").State, rep.Component("orders").Stop.Round(time.Millisecond), rep.Component("orders").Error,
				rep.Component("nats").State, rep.Component("nats").Stop.Round(time.Millisecond), rep.Component("nats").Error)
			if how == "killed" {
				// Nothing to wait for: both stops end at once.
				if !errors.Is(rep.Component("nats").Err, gracenats.ErrNotDrained) {
					t.Errorf("nats stop error %v, want ErrNotDrained", rep.Component("nats").Err)
				}
				// The buffered publish is lost, and the report says so.
				if acc := rep.Component("nats").Account; acc.Lost != 1 || rep.ExitCode != grace.ExitLost {
					t.Errorf("nats account %+v, exit %d; want the 1 buffered publish lost, ExitLost", acc, rep.ExitCode)
				}
				if !errors.Is(rep.Component("orders").Err, nats.ErrConnectionReconnecting) || took > limit/2 {
					t.Errorf("orders stop error %v, app stop %v; want a quick stop reporting the unconfirmed acks", rep.Component("orders").Err, took)
				}
			}
			if !nc.IsClosed() {
				t.Error("connection not closed after the stop")
			}
			s.kill()
		})
	}
}

// The dependency gone: the server freezes mid-stream, with publishes unacknowledged. The doc says
// the publisher waits up to its cut, counts those still unacknowledged as lost, returns an
// UnackedError, and the exit code is ExitLost. After the server resumes, what is stored plus what
// was counted lost covers everything the client took.
func TestStrangerPublisherServerFrozenMidStream(t *testing.T) {
	s := startServer(t)
	stream, _ := newStream(t, s.url, time.Minute)
	nc, js := jetStream(t, s.url)
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
