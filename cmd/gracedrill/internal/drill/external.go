package drill

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/lb"
	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// pidPollInterval is how often the drill looks whether a process it did not start is gone.
const pidPollInterval = 10 * time.Millisecond

// External drills a service the drill did not start (run mode without a command):
//
//  1. wait until the readiness URL (when there is one) answers 200;
//  2. send open-loop load; with --pid or --pid-file play the load balancer as Run does; with
//     --trigger keep sending (the platform in front is the load balancer) and record readiness
//     going and coming back;
//  3. at SignalAt send the signal to the process, or run the trigger command through the shell
//     (bounded by Budget: past it the command's process group is killed and the drill fails);
//  4. stop sending when Duration has passed and the trigger has returned (or, with a pid, as
//     Run does), wait for the requests in flight and for the process to go away (Budget; the
//     drill never kills a process it did not start);
//  5. read the service's own report from --service-report, waiting for it up to Budget after
//     the stop began.
//
// An error means the drill could not be carried out (the service was not ready, the process
// did not exist); a failed verdict is not an error.
func External(ctx context.Context, c config.Config, stderr io.Writer) (Result, error) {
	return inSession(ctx, c, stderr, external)
}

// external is External's drill, in session s.
func external(ctx context.Context, s *session) (Result, error) {
	c, rec := s.c, s.rec
	var err error
	pid := c.PID
	if c.PIDFile != "" {
		if pid, err = config.ReadPIDFile(c.PIDFile); err != nil {
			return Result{}, err
		}
	}
	if pid != 0 && !process.Alive(pid) {
		return Result{}, fmt.Errorf("--pid %d: no such process", pid)
	}
	if c.ReadyURL != "" {
		if err := s.prober.WaitReady(ctx, c.ReadyURL, nil, c.StartTimeout); err != nil {
			return Result{}, fmt.Errorf("the service at %s is not ready: %w", c.URL, err)
		}
		rec.Mark(record.Ready, 0, "")
	}

	if err := s.startLoad(c.URL); err != nil {
		return Result{}, err
	}
	defer s.stopLoad()
	defer s.stopProgress()
	var lbOut <-chan struct{}
	switch {
	case c.Trigger != "" && c.ReadyURL != "":
		s.watch(func(ctx context.Context) { watchReadiness(ctx, s.prober, c.ReadyURL, rec) })
	case c.Trigger == "" && !c.IgnoreReadiness:
		lbOut = s.pollLB()
	}

	var problems []string
	var trig *triggerRun
	var goneCh, gone <-chan struct{} // closed when the signalled process is gone (gone: nil once seen)
	signalTimer := time.NewTimer(c.SignalAt)
	defer signalTimer.Stop()
	durationTimer := time.NewTimer(c.Duration)
	defer durationTimer.Stop()
	durationDone := false
	var triggerDone <-chan struct{}
	var triggerBudget <-chan time.Time
	stopAt := time.Duration(-1)
wait:
	for {
		select {
		case <-ctx.Done():
			if trig != nil {
				trig.proc.Kill()
			}
			return Result{}, fmt.Errorf("drill interrupted: %w", context.Cause(ctx))
		case <-signalTimer.C:
			stopAt = rec.Now()
			if c.Trigger != "" {
				s.setPhase("trigger running")
				trig, err = startTrigger(c, rec, s.serviceOutput())
				if err != nil {
					problems = append(problems, err.Error())
					break wait
				}
				triggerDone = trig.done
				triggerBudget = time.After(c.Budget)
				continue
			}
			if c.PIDFile != "" { // the file may name a newer process than at the start
				if p, err := config.ReadPIDFile(c.PIDFile); err == nil {
					pid = p
				}
			}
			if err := process.SignalPID(pid, c.Signal); err != nil {
				problems = append(problems, fmt.Sprintf("could not signal the service: %v", err))
				break wait
			}
			rec.MarkAt(record.Signal, stopAt, 0, c.SignalName)
			s.setPhase("signalled")
			goneCh = s.watchGone(pid)
			gone = goneCh
			s.watchStop(s.watchCtx, &s.watchers, c.ReadyURL, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), 0)
		case <-triggerBudget: // the trigger hangs: wait ends it
			break wait
		case <-triggerDone:
			triggerDone, triggerBudget = nil, nil
			s.setPhase("trigger returned")
			if durationDone {
				break wait
			}
		case <-gone:
			gone = nil
			s.setPhase("exited")
		case <-lbOut:
			if stopAt < 0 {
				problems = append(problems, "the service turned not ready before the signal")
			}
			break wait
		case <-durationTimer.C:
			durationDone = true
			if trig == nil || trig.returned() {
				break wait
			}
			s.setPhase("waiting for the trigger")
		}
	}
	s.stopLoad()
	if trig != nil {
		problems = append(problems, trig.wait(rec, c.Budget)...)
	}
	if goneCh != nil {
		s.setPhase("waiting for exit")
		select {
		case <-goneCh:
		case <-time.After(max(stopAt+c.Budget-rec.Now(), 0)):
		}
	}
	var service *summary.Service
	if s.src != nil {
		s.setPhase("reading the service's report")
		service = s.serviceReport(ctx, nil, stopAt+c.Budget)
	}
	s.stopProgress()
	s.stopWatching()
	return s.result(problems, service), nil
}

// watchGone watches pid and records an Exit event (code unknown) when the process goes away, and closes the
// returned channel then.
func (s *session) watchGone(pid int) <-chan struct{} {
	rec := s.rec
	done := make(chan struct{})
	s.watch(func(ctx context.Context) {
		tick := time.NewTicker(pidPollInterval)
		defer tick.Stop()
		for process.Alive(pid) {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		rec.Add(record.Event{Name: record.Exit, At: rec.Now(), Detail: record.UnknownExitCode, Code: -1})
		close(done)
	})
	return done
}

// watchReadiness records when the readiness URL stops answering 200 (NotReady) and when it
// answers 200 again (BackReady), until ctx ends.
func watchReadiness(ctx context.Context, prober *lb.Prober, readyURL string, rec *record.Recording) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	ready := true
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := prober.Probe(pctx, readyURL)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil && ready:
			ready = false
			rec.Mark(record.NotReady, 0, err.Error())
		case err == nil && !ready:
			ready = true
			rec.Mark(record.BackReady, 0, "")
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// triggerRun is the user's trigger command running.
type triggerRun struct {
	command string
	proc    *process.Process
	done    <-chan struct{}
	at      time.Duration
}

// startTrigger runs the trigger command through the shell, in its own process group.
func startTrigger(c config.Config, rec *record.Recording, out io.Writer) (*triggerRun, error) {
	at := rec.Now()
	proc, err := process.Start(process.ShellArgv(c.Trigger), nil, out)
	if err != nil {
		return nil, fmt.Errorf("the trigger command did not start: %w", err)
	}
	rec.MarkAt(record.Trigger, at, 0, c.Trigger)
	return &triggerRun{command: c.Trigger, proc: proc, done: proc.Done(), at: at}, nil
}

func (t *triggerRun) returned() bool { return t.proc.Exited() }

// wait waits for the trigger command to return, at most budget from its start; past that it
// kills the command's process group. It records TriggerDone and returns the problems.
func (t *triggerRun) wait(rec *record.Recording, budget time.Duration) []string {
	select {
	case <-t.done:
	case <-time.After(max(t.at+budget-rec.Now(), 0)):
		t.proc.Kill()
		rec.Add(record.Event{Name: record.TriggerDone, At: rec.Now(), Detail: record.TriggerKilled, Code: -1})
		return nil // the budget check says it
	}
	exitAt, code, state := t.proc.Exit()
	rec.Add(record.Event{Name: record.TriggerDone, At: rec.Since(exitAt), Detail: state, Code: code})
	t.proc.Kill() // anything it left in its group
	if code != 0 {
		return []string{fmt.Sprintf("the trigger command failed (%s)%s", state, lastOutput(t.proc))}
	}
	return nil
}

func lastOutput(p *process.Process) string {
	out := strings.TrimSpace(p.Output())
	if out == "" {
		return ""
	}
	if len(out) > 600 {
		out = "..." + out[len(out)-600:]
	}
	return "; its output:\n" + out
}
