//go:build unix

package gracenats_test

import (
	"errors"
	"os"
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
