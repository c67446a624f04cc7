// Package drill runs the two drills: run (one service, the drill plays the load balancer) and
// rollout (instances behind HAProxy, rolling restarts), and records what happens.
package drill

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/servicereport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// instance is one started service.
type instance struct {
	id        int
	host      string
	port      int
	readyURL  string
	proc      *process.Process
	signalled atomic.Bool // set just before the drill sends the stop signal
	reports   *servicereport.Catcher
}

// exitEvent waits for the instance's exit and returns it as an event.
func (in *instance) exitEvent(rec *record.Recording) record.Event {
	<-in.proc.Done()
	exitAt, code, state := in.proc.Exit()
	return record.Event{Name: record.Exit, At: rec.Since(exitAt), Instance: in.id, Detail: state, Code: code}
}

func (in *instance) addr() string { return net.JoinHostPort(in.host, strconv.Itoa(in.port)) }

// startInstance starts the command on port and waits until its readiness URL answers 200. On
// error the process is killed and reaped.
func (s *session) startInstance(ctx context.Context, id int, host string, port int, readyURL string) (*instance, error) {
	c, rec, out := s.c, s.rec, s.serviceOutput()
	argv, env := c.CommandFor(port)
	catcher := new(servicereport.Catcher)
	w := io.Writer(catcher)
	if out != nil {
		w = io.MultiWriter(catcher, out)
	}
	proc, err := process.Start(argv, env, w)
	if err != nil {
		return nil, err
	}
	in := &instance{id: id, host: host, port: port, readyURL: readyURL, proc: proc, reports: catcher}
	if err := s.prober.WaitReady(ctx, readyURL, proc.Done(), c.StartTimeout); err != nil {
		exitedByItself := proc.Exited()
		proc.Kill()
		if exitedByItself {
			return nil, fmt.Errorf("start %q: %w", argv[0], proc.ExitError(err.Error()))
		}
		return nil, fmt.Errorf("start %q: %w (the drill killed it)", argv[0], err)
	}
	rec.Mark(record.Ready, id, "")
	return in, nil
}

// stopping follows one signalled instance: a fast watcher of its readiness and listener, and its
// exit.
type stopping struct {
	in      *instance
	cancel  context.CancelFunc
	watched sync.WaitGroup
	exited  chan struct{} // closed once the exit is recorded
}

// signal sends the stop signal to in and starts following it.
func (s *session) signal(ctx context.Context, in *instance) (*stopping, error) {
	rec := s.rec
	at := rec.Now()
	in.signalled.Store(true)
	if err := in.proc.Signal(s.c.Signal); err != nil {
		return nil, err
	}
	rec.MarkAt(record.Signal, at, in.id, s.c.SignalName)
	wctx, cancel := context.WithCancel(ctx)
	st := &stopping{in: in, cancel: cancel, exited: make(chan struct{})}
	s.watchStop(wctx, &st.watched, in.readyURL, in.addr(), in.id)
	go func() {
		rec.Add(in.exitEvent(rec)) // returns: every path ends with the process reaped or killed
		close(st.exited)
	}()
	return st, nil
}

// wait waits until the instance exits, killing it when the budget (counted from the signal at
// signalAt) runs out, then stops following it. It returns after the exit is recorded.
func (s *stopping) wait(rec *record.Recording, signalAt, budget time.Duration) {
	select {
	case <-s.in.proc.Done():
	case <-time.After(max(signalAt+budget-rec.Now(), 0)):
		rec.Mark(record.Killed, s.in.id, fmt.Sprintf("still running %v after the signal", budget))
		s.in.proc.Kill()
	}
	select {
	case <-s.exited:
	case <-time.After(process.DefaultWaitDelay + 2*time.Second):
	}
	s.cancel()
	s.watched.Wait()
	// An exit closes the listener and ends readiness, even when the watcher did not see it first.
	events := rec.Events()
	if exit, ok := record.First(events, record.Exit, s.in.id, signalAt); ok {
		for _, name := range []record.EventName{record.NotReady, record.ListenerClosed} {
			if _, seen := record.First(events, name, s.in.id, signalAt); !seen {
				rec.MarkAt(name, exit.At, s.in.id, "at the exit")
			}
		}
	}
}

// serviceReport is the service's own word on its stops: read from src when the user named one
// (waiting for it until the offset deadline, at least 2 s), else from the output of the
// signalled instances; nil when neither holds a report.
func (s *session) serviceReport(ctx context.Context, ins []*instance, deadline time.Duration) *summary.Service {
	rec, src := s.rec, s.src
	if src != nil {
		reports, err := src.Wait(ctx, max(deadline-rec.Now(), 2*time.Second), 100*time.Millisecond, 500*time.Millisecond)
		return summary.ServiceFrom(src.String(), reports, err)
	}
	var reports []servicereport.Report
	for _, in := range ins {
		if in.signalled.Load() {
			reports = append(reports, in.reports.Reports()...)
		}
	}
	if len(reports) == 0 {
		return nil
	}
	return summary.ServiceFrom("service output", reports, nil)
}
