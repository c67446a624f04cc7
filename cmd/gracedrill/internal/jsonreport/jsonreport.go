// Package jsonreport writes a drill's summary as JSON for machines. Field names are a contract:
// scripts rely on requests, ok, failed, failed_by_kind, exit_code, signal_to_exit_ms and verdict.
package jsonreport

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/servicereport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// Report is the JSON document. Durations are milliseconds; null means not observed.
type Report struct {
	Traffic
	SendWindowMS  float64   `json:"send_window_ms"`
	SignalTimes             // in rollout mode, the longest of every stop's
	ExitCode      int       `json:"exit_code"`
	ExitCodeFrom  string    `json:"exit_code_from"` // "process", "service report" or "unknown"
	BudgetMS      float64   `json:"budget_ms"`
	Stops         []Stop    `json:"stops"`
	MaxFailed     int       `json:"max_failed"`
	MaxP99MS      float64   `json:"max_p99_ms,omitempty"`
	Service       *Service  `json:"service"` // null when no report was asked for or found
	Disagreements []string  `json:"disagreements"`
	Checks        []Check   `json:"checks"`
	Verdict       string    `json:"verdict"`
	Reasons       []string  `json:"reasons"`
	Timeline      *Timeline `json:"timeline,omitempty"`
}

// Traffic is what the clients saw: the head of every drill's report (the upgrade drill's too).
type Traffic struct {
	Mode         string         `json:"mode"`
	Requests     int            `json:"requests"`
	OK           int            `json:"ok"`
	Failed       int            `json:"failed"`
	FailedByKind map[string]int `json:"failed_by_kind"`
	AskedRate    int            `json:"asked_rate"`
	AchievedRate float64        `json:"achieved_rate"`
	Behind       bool           `json:"behind"`
	LatencyMS    Latency        `json:"latency_ms"`
}

// TrafficOf returns s's traffic figures, in milliseconds rounded to 0.1.
func TrafficOf(s summary.Summary) Traffic {
	return Traffic{
		Mode: s.Mode, Requests: s.Requests, OK: s.OK, Failed: s.Failed, FailedByKind: s.FailedByKind,
		AskedRate: s.AskedRate, AchievedRate: round(s.AchievedRate), Behind: s.Behind,
		LatencyMS: Latency{P50: msf(s.Latency.P50), P90: msf(s.Latency.P90), P99: msf(s.Latency.P99), Max: msf(s.Latency.Max)},
	}
}

// Service is the service's own report (summed over every report read).
type Service struct {
	Source     string                    `json:"source"`
	Reports    int                       `json:"reports"`
	ExitCode   *int                      `json:"exit_code"`
	StopMS     float64                   `json:"stop_ms"`
	Lost       int                       `json:"lost"`
	HandedBack int                       `json:"handed_back"`
	Components []servicereport.Component `json:"components"`
	Error      string                    `json:"error,omitempty"`
}

// Check is one verified property (a JUnit test case).
type Check struct {
	Name    string   `json:"name"`
	OK      bool     `json:"ok"`
	Skipped bool     `json:"skipped,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
}

// Latency percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Stop is one stopped instance (one in run mode, one per restart in rollout mode).
type Stop struct {
	Instance   int     `json:"instance"`
	SignalAtMS float64 `json:"signal_at_ms"`
	SignalTimes
	ExitCode        *int     `json:"exit_code"`
	Killed          bool     `json:"killed"`
	Trigger         string   `json:"trigger,omitempty"`
	TriggerReturned *float64 `json:"trigger_returned_ms,omitempty"`
	TriggerCode     *int     `json:"trigger_exit_code,omitempty"`
}

// SignalTimes is what a signal (or trigger) found running and how long after it the instance
// stopped being ready, left the load balancer, closed its listener and exited: the part a
// [Stop] and the [Report] share.
type SignalTimes struct {
	InFlightAtSignal int      `json:"in_flight_at_signal"`
	SignalToNotReady *float64 `json:"signal_to_not_ready_ms"`
	SignalToLBOut    *float64 `json:"signal_to_lb_not_ready_ms"`
	SignalToClosed   *float64 `json:"signal_to_listener_closed_ms"`
	SignalToExit     *float64 `json:"signal_to_exit_ms"`
}

func signalTimesOf(st summary.Stop) SignalTimes {
	return SignalTimes{
		InFlightAtSignal: st.InFlightAtSignal, SignalToNotReady: MS(st.SignalToNotReady),
		SignalToLBOut: MS(st.SignalToLBNotReady), SignalToClosed: MS(st.SignalToListenerClosed),
		SignalToExit: MS(st.SignalToExit),
	}
}

// longest returns t with each time replaced by o's where o's is longer (or t's not observed);
// InFlightAtSignal stays t's.
func (t SignalTimes) longest(o SignalTimes) SignalTimes {
	t.SignalToNotReady = maxp(t.SignalToNotReady, o.SignalToNotReady)
	t.SignalToLBOut = maxp(t.SignalToLBOut, o.SignalToLBOut)
	t.SignalToClosed = maxp(t.SignalToClosed, o.SignalToClosed)
	t.SignalToExit = maxp(t.SignalToExit, o.SignalToExit)
	return t
}

// FromSummary builds the report. In rollout mode the top-level signal_to_* fields are the
// longest over all restarts, and exit_code is the first non-zero one.
func FromSummary(s summary.Summary) Report {
	r := Report{
		Traffic: TrafficOf(s), SendWindowMS: msf(s.SendWindow),
		SignalTimes: SignalTimes{InFlightAtSignal: s.InFlightAtSignal}, ExitCode: s.ExitCode(),
		BudgetMS: msf(s.Budget), Verdict: s.Verdict, Reasons: s.Reasons, Stops: []Stop{},
		ExitCodeFrom: s.ExitCodeSource(), MaxFailed: s.MaxFailed, MaxP99MS: msf(s.MaxP99),
		Disagreements: append([]string{}, s.Disagreements...), Checks: []Check{},
	}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	for _, c := range s.Checks {
		r.Checks = append(r.Checks, Check{Name: c.Name, OK: c.OK, Skipped: c.Skipped, Reasons: c.Reasons})
	}
	if v := s.Service; v != nil {
		r.Service = &Service{Source: v.Source, Reports: v.Reports, ExitCode: v.ExitCode, StopMS: msf(v.Stop),
			Lost: v.Lost, HandedBack: v.HandedBack, Components: append([]servicereport.Component{}, v.Components...), Error: v.Err}
	}
	for _, st := range s.Stops {
		times := signalTimesOf(st)
		r.Stops = append(r.Stops, Stop{
			Instance: st.Instance, SignalAtMS: msf(st.SignalAt), SignalTimes: times,
			ExitCode: st.ExitCode, Killed: st.Killed,
			Trigger: st.Trigger, TriggerReturned: MS(st.TriggerReturned), TriggerCode: st.TriggerCode,
		})
		r.SignalTimes = r.SignalTimes.longest(times)
	}
	return r
}

// Write writes the report for s to path, with the timeline of reqs and events (what
// gracedrill compare draws).
func Write(path string, s summary.Summary, reqs []record.Request, events []record.Event) error {
	r := FromSummary(s)
	t := TimelineOf(reqs, events)
	r.Timeline = &t
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func msf(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

// MS is d in milliseconds, rounded to 0.1 as every duration of a report; nil stays nil.
func MS(d *time.Duration) *float64 {
	if d == nil {
		return nil
	}
	v := msf(*d)
	return &v
}

func maxp(a, b *float64) *float64 {
	if a == nil || (b != nil && *b > *a) {
		return b
	}
	return a
}
