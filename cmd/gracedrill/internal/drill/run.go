package drill

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/lb"
	"github.com/gracekit/grace/cmd/gracedrill/internal/load"
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
	rec := record.New(time.Now())
	prober := lb.NewProber(lb.DefaultProbeTimeout)
	src, err := openReport(c, rec)
	if err != nil {
		return Result{}, err
	}
	in, err := startInstance(ctx, c, rec, prober, 0, c.Host, c.Port, c.ReadyURL, serviceOutput(c, stderr))
	if err != nil {
		return Result{}, err
	}
	defer in.proc.Kill() // reap the group on every path

	base, err := url.Parse(c.URL)
	if err != nil {
		return Result{}, fmt.Errorf("--url: %w", err)
	}
	gen := load.New(load.Config{Base: base, Rate: c.Rate, Targets: c.Targets, Timeout: c.Timeout}, rec)
	genDone := make(chan struct{})
	go func() { defer close(genDone); gen.Run() }()

	var phase atomic.Value
	phase.Store("serving")
	prog := startProgress(progressOut(c, stderr), rec, gen, func() string { return phase.Load().(string) })
	defer func() {
		gen.Stop()
		<-genDone
	}()

	// The drill's load balancer.
	lbCtx, stopLB := context.WithCancel(ctx)
	var lbWG sync.WaitGroup
	defer func() { stopLB(); lbWG.Wait() }()
	lbOut := make(chan struct{}) // closed when the drill's load balancer takes the service out
	if !c.IgnoreReadiness {
		lbWG.Add(1)
		go func() {
			defer lbWG.Done()
			prober.Poll(lbCtx, c.ReadyURL, lb.FirstProbe(c.SignalAt, c.LBInterval), c.LBInterval, func(at time.Time, why error) {
				gen.Stop()
				rec.MarkAt(record.LBNotReady, rec.Since(at), 0, why.Error())
				phase.Store("load balancer took it out")
				close(lbOut)
			})
		}()
	}

	var problems []string
	var stop *stopping
	signalTimer := time.NewTimer(c.SignalAt)
	defer signalTimer.Stop()
	durationTimer := time.NewTimer(c.Duration)
	defer durationTimer.Stop()
	exited := in.proc.Done()
	signalled := false
wait:
	for {
		select {
		case <-ctx.Done():
			prog.stop()
			return Result{}, fmt.Errorf("drill interrupted: %w", context.Cause(ctx))
		case <-signalTimer.C:
			stop, err = signal(ctx, c, rec, prober, in)
			if err != nil {
				problems = append(problems, fmt.Sprintf("could not signal the service: %v", err))
				break wait
			}
			signalled = true
			phase.Store("signalled")
		case <-exited:
			exited = nil
			phase.Store("exited")
			if !signalled {
				rec.Add(in.exitEvent(rec))
				problems = append(problems, "the service exited before the signal: "+in.proc.ExitError("early exit").Error())
				gen.Stop()
				break wait
			}
		case <-lbOut:
			if !signalled {
				// A service that dies refuses its readiness probe a moment before its exit is
				// reaped: give the exit that moment, so the report names the real cause.
				select {
				case <-exited:
					phase.Store("exited")
					rec.Add(in.exitEvent(rec))
					problems = append(problems, "the service exited before the signal: "+in.proc.ExitError("early exit").Error())
					gen.Stop()
				case <-time.After(exitGrace):
					problems = append(problems, "the service turned not ready before the signal")
				}
			}
			break wait // nothing more will be sent
		case <-durationTimer.C:
			break wait
		}
	}
	gen.Stop()
	<-genDone
	if stop != nil {
		phase.Store("waiting for exit")
		sig, _ := record.First(rec.Events(), record.Signal, 0, 0)
		stop.wait(rec, sig.At, c.Budget)
	}
	var service *summary.Service
	if stop != nil {
		phase.Store("reading the service's report")
		sig, _ := record.First(rec.Events(), record.Signal, 0, 0)
		service = serviceReport(ctx, rec, src, []*instance{in}, sig.At+c.Budget)
	}
	prog.stop()
	stopLB()
	lbWG.Wait()

	rate, window, behind := gen.Achieved()
	res := Result{Requests: rec.Requests(), Events: rec.Events()}
	res.Summary = summary.Build(summary.Input{
		Mode: c.Mode, AskedRate: c.Rate, AchievedRate: rate, SendWindow: window, Behind: behind,
		Budget: c.Budget, Requests: res.Requests, Events: res.Events, Problems: problems,
		Service: service, MaxFailed: c.MaxFailed, MaxP99: c.MaxP99,
	})
	return res, nil
}

// exitGrace is how long a service that turned not ready before the signal is given to show that
// it exited, rather than merely turned not ready.
const exitGrace = 2 * time.Second

func serviceOutput(c config.Config, stderr io.Writer) io.Writer {
	if c.ServiceOutput {
		return stderr
	}
	return nil
}

func progressOut(c config.Config, stderr io.Writer) io.Writer {
	if c.Quiet {
		return nil
	}
	return stderr
}
