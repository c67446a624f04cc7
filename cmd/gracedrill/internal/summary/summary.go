// Package summary turns a drill's recording into numbers and a verdict: requests by outcome,
// the shutdown phases of every stopped instance, the achieved rate, and pass or fail with the
// reasons.
package summary

import (
	"sort"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
)

// Verdicts.
const (
	Pass = "pass"
	Fail = "fail"
)

// Input is everything a summary is computed from.
type Input struct {
	Mode         string        // "run" or "rollout"
	AskedRate    int           // requests per second asked for
	AchievedRate float64       // requests per second sent
	SendWindow   time.Duration // how long the drill sent
	Behind       bool          // the drill fell more than 5 % behind the asked rate
	Budget       time.Duration // how long a stopped instance may take to exit
	Requests     []record.Request
	Events       []record.Event
	Problems     []string      // things that went wrong in the drill itself (e.g. a restart failed)
	Service      *Service      // the service's own report; nil when none was asked for or found
	MaxFailed    int           // failed requests tolerated
	MaxP99       time.Duration // p99 latency tolerated; 0: no limit
}

// Stop describes one stopped instance. Durations are measured from the signal; nil means the
// drill did not observe the phase.
type Stop struct {
	Instance               int
	SignalAt               time.Duration
	SignalToNotReady       *time.Duration
	SignalToLBNotReady     *time.Duration
	SignalToListenerClosed *time.Duration
	SignalToExit           *time.Duration
	ExitCode               *int
	Exited                 bool // the process went away (ExitCode is nil when the drill did not start it)
	Killed                 bool
	InFlightAtSignal       int
	Trigger                string         // the trigger command, when a command (not a signal) stopped it
	TriggerReturned        *time.Duration // from the trigger to its return
	TriggerCode            *int           // the trigger command's exit code (-1: ended by a signal)
	TriggerKilled          bool           // the drill killed the trigger command after the budget
}

// Summary is the result of a drill.
type Summary struct {
	Mode             string
	Requests         int
	OK               int
	Failed           int
	FailedByKind     map[string]int // every failure kind, zero counts included
	AskedRate        int
	AchievedRate     float64
	SendWindow       time.Duration
	Behind           bool
	InFlightAtSignal int // at the first signal
	Stops            []Stop
	Budget           time.Duration
	Latency          Percentiles
	CrashCode        *int // exit code of the first instance that exited without being signalled
	MaxFailed        int
	MaxP99           time.Duration
	Service          *Service
	Disagreements    []string // where what clients saw and what the service reports differ
	Checks           []Check
	Verdict          string
	Reasons          []string
}

// Percentiles of request latency.
type Percentiles struct{ P50, P90, P99, Max time.Duration }

// First returns the first stop, the one run mode measures; ok is false when nothing was stopped.
func (s Summary) First() (Stop, bool) {
	if len(s.Stops) == 0 {
		return Stop{}, false
	}
	return s.Stops[0], true
}

// ExitCode is the exit code the summary reports: the exit code of an instance that exited
// without being signalled, else the first non-zero exit code of a stopped instance, else 0; -1
// when an instance did not exit on its own.
func (s Summary) ExitCode() int {
	if s.CrashCode != nil {
		return *s.CrashCode
	}
	if s.exitFromService() {
		return *s.Service.ExitCode
	}
	code := 0
	for _, st := range s.Stops {
		switch {
		case st.ExitCode == nil || st.Killed:
			return -1
		case *st.ExitCode != 0 && code == 0:
			code = *st.ExitCode
		}
	}
	return code
}

// exitFromService reports whether the exit code comes from the service's report: the drill saw
// no exit code of its own (it did not start the service) and the report has one.
func (s Summary) exitFromService() bool {
	if s.Service == nil || s.Service.ExitCode == nil {
		return false
	}
	for _, st := range s.Stops {
		if st.ExitCode != nil {
			return false
		}
	}
	return true
}

// ExitCodeSource says where ExitCode comes from: "process" (the drill saw it exit), "service
// report", or "unknown".
func (s Summary) ExitCodeSource() string {
	switch {
	case s.CrashCode != nil:
		return "process"
	case s.exitFromService():
		return "service report"
	}
	for _, st := range s.Stops {
		if st.ExitCode == nil && !st.Killed {
			return "unknown"
		}
	}
	if len(s.Stops) == 0 {
		return "unknown"
	}
	return "process"
}

// MaxSignalToExit is the longest signal → exit of all stops (nil when none exited).
func (s Summary) MaxSignalToExit() *time.Duration {
	var out *time.Duration
	for _, st := range s.Stops {
		if st.SignalToExit != nil && (out == nil || *st.SignalToExit > *out) {
			out = st.SignalToExit
		}
	}
	return out
}

// Build computes the summary and its verdict.
func Build(in Input) Summary {
	s := Summary{
		Mode: in.Mode, Requests: len(in.Requests), AskedRate: in.AskedRate, AchievedRate: in.AchievedRate,
		SendWindow: in.SendWindow, Behind: in.Behind, Budget: in.Budget,
		FailedByKind: make(map[string]int), Service: in.Service, MaxFailed: in.MaxFailed, MaxP99: in.MaxP99,
	}
	for _, k := range record.FailureKinds() {
		s.FailedByKind[k.String()] = 0
	}
	lat := make([]time.Duration, 0, len(in.Requests))
	for _, q := range in.Requests {
		lat = append(lat, q.Latency)
		if q.Failed() {
			s.Failed++
			s.FailedByKind[q.Kind.String()]++
		} else {
			s.OK++
		}
	}
	s.Latency = percentiles(lat)
	signalled := make(map[int]bool)
	for _, e := range in.Events {
		switch {
		case e.Name == record.Signal || e.Name == record.Trigger:
			signalled[e.Instance] = true
			s.Stops = append(s.Stops, stopOf(e, in.Events, in.Requests))
		case e.Name == record.Exit && !signalled[e.Instance] && s.CrashCode == nil:
			code := e.Code
			s.CrashCode = &code
		}
	}
	if len(s.Stops) > 0 {
		s.InFlightAtSignal = s.Stops[0].InFlightAtSignal
	}
	s.Disagreements = disagreements(s)
	s.Checks = checks(s, in.Problems)
	s.Verdict = Pass
	for _, c := range s.Checks {
		if !c.OK && !c.Skipped {
			s.Verdict = Fail
			s.Reasons = append(s.Reasons, c.Reasons...)
		}
	}
	return s
}

func stopOf(sig record.Event, events []record.Event, reqs []record.Request) Stop {
	st := Stop{Instance: sig.Instance, SignalAt: sig.At, InFlightAtSignal: InFlight(reqs, sig.At)}
	since := func(name record.EventName) *time.Duration {
		e, ok := record.First(events, name, sig.Instance, sig.At)
		if !ok {
			return nil
		}
		d := e.At - sig.At
		return &d
	}
	st.SignalToNotReady = since(record.NotReady)
	st.SignalToLBNotReady = since(record.LBNotReady)
	st.SignalToListenerClosed = since(record.ListenerClosed)
	st.SignalToExit = since(record.Exit)
	if e, ok := record.First(events, record.Exit, sig.Instance, sig.At); ok {
		st.Exited = true
		if e.Detail != record.UnknownExitCode {
			code := e.Code
			st.ExitCode = &code
		}
	}
	if sig.Name == record.Trigger {
		st.Trigger = sig.Detail
		st.TriggerReturned = since(record.TriggerDone)
		if e, ok := record.First(events, record.TriggerDone, sig.Instance, sig.At); ok {
			code := e.Code
			st.TriggerCode = &code
			st.TriggerKilled = e.Detail == record.TriggerKilled
		}
	}
	_, st.Killed = record.First(events, record.Killed, sig.Instance, sig.At)
	return st
}

// InFlight counts the requests started at or before at and not yet ended.
func InFlight(reqs []record.Request, at time.Duration) int {
	n := 0
	for _, q := range reqs {
		if q.Start <= at && q.End() > at {
			n++
		}
	}
	return n
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: d[len(d)-1]}
}
