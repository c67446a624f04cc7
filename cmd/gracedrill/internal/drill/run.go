package drill

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// Result is a finished drill: the summary with its verdict, and the raw recording for reports.
type Result struct {
	Summary  summary.Summary
	Requests []record.Request
	Events   []record.Event
}

// Run runs the run drill:
//
//  1. check nothing listens on the service's port yet, start the command in its own process
//     group, wait until the readiness URL answers 200;
//  2. send open-loop load at the asked rate; unless IgnoreReadiness, poll readiness every
//     LBInterval like a load balancer and stop sending new requests at the first "not ready";
//  3. at SignalAt send the signal and watch readiness, the listener and the exit;
//  4. stop sending at Duration, wait for the requests in flight, wait for the exit (killing the
//     process group when Budget runs out).
//
// The service is always killed and reaped before Run returns. An error means the drill could
// not be carried out (the service did not start or get ready, the port was taken); a failed
// verdict is not an error.
func Run(ctx context.Context, c config.Config, stderr io.Writer) (Result, error) {
	if err := process.CheckPortFree(net.JoinHostPort(c.Host, strconv.Itoa(c.Port))); err != nil {
		return Result{}, err
	}
	return inSession(ctx, c, stderr, run)
}

// run is Run's drill, in session s.
func run(ctx context.Context, s *session) (Result, error) {
	c, rec := s.c, s.rec
	in, err := s.startInstance(ctx, 0, c.Host, c.Port, c.ReadyURL)
	if err != nil {
		return Result{}, err
	}
	defer in.proc.Kill() // reap the group on every path

	if err := s.startLoad(c.URL); err != nil {
		return Result{}, err
	}
	defer s.stopLoad()
	defer s.stopProgress()
	var lbOut <-chan struct{} // closed when the drill's load balancer takes the service out
	if !c.IgnoreReadiness {
		lbOut = s.pollLB() // the drill's load balancer
	}

	var problems []string
	var stop *stopping
	signalTimer := time.NewTimer(c.SignalAt)
	defer signalTimer.Stop()
	durationTimer := time.NewTimer(c.Duration)
	defer durationTimer.Stop()
	exited := in.proc.Done()
	signalled := false
	exitedEarly := func() {
		s.setPhase("exited")
		rec.Add(in.exitEvent(rec))
		problems = append(problems, "the service exited before the signal: "+in.proc.ExitError("early exit").Error())
		s.gen.Stop()
	}
wait:
	for {
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("drill interrupted: %w", context.Cause(ctx))
		case <-signalTimer.C:
			stop, err = s.signal(ctx, in)
			if err != nil {
				problems = append(problems, fmt.Sprintf("could not signal the service: %v", err))
				break wait
			}
			signalled = true
			s.setPhase("signalled")
		case <-exited:
			exited = nil
			s.setPhase("exited")
			if !signalled {
				exitedEarly()
				break wait
			}
		case <-lbOut:
			if !signalled {
				// A service that dies refuses its readiness probe a moment before its exit is
				// reaped: give the exit that moment, so the report names the real cause.
				select {
				case <-exited:
					exitedEarly()
				case <-time.After(exitGrace):
					problems = append(problems, "the service turned not ready before the signal")
				}
			}
			break wait // nothing more will be sent
		case <-durationTimer.C:
			break wait
		}
	}
	s.stopLoad()
	var service *summary.Service
	if stop != nil {
		s.setPhase("waiting for exit")
		sig, _ := record.First(rec.Events(), record.Signal, 0, 0)
		stop.wait(rec, sig.At, c.Budget)
		s.setPhase("reading the service's report")
		service = s.serviceReport(ctx, []*instance{in}, sig.At+c.Budget)
	}
	s.stopProgress()
	s.stopWatching()
	return s.result(problems, service), nil
}

// exitGrace is how long a service that turned not ready before the signal is given to show that
// it exited, rather than merely turned not ready.
const exitGrace = 2 * time.Second
