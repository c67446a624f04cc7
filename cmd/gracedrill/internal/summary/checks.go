package summary

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/cmd/gracedrill/internal/servicereport"
)

// Check is one thing a drill verifies; a JUnit test case each. A skipped check could not be
// judged (e.g. the exit code of a service the drill did not start and that reported nothing).
type Check struct {
	Name    string
	OK      bool
	Skipped bool
	Reasons []string // why it failed, or why it was skipped
}

// Names of the checks.
const (
	CheckDrill    = "the drill vouches for the run"
	CheckFailed   = "no request failed"
	CheckExitCode = "exit code"
	CheckBudget   = "budget"
	CheckP99      = "p99 latency"
	CheckService  = "the service lost nothing"
)

// Service is what the service itself reported about its stop (the sum over every report read:
// a rollout stops several instances).
type Service struct {
	Source     string // where it was read: a file, a URL, or "service output"
	Reports    int    // how many reports were read
	ExitCode   *int
	Stop       time.Duration // the longest stop reported
	Lost       int
	HandedBack int
	Components []servicereport.Component // components that lost or handed back something
	Err        string                    // why no report could be read (when one was asked for)
}

// ServiceFrom sums reports read from source; err (when not nil) says why none could be read.
func ServiceFrom(source string, reports []servicereport.Report, err error) *Service {
	if err != nil {
		return &Service{Source: source, Err: err.Error()}
	}
	sum := servicereport.Sum(reports)
	return &Service{Source: source, Reports: len(reports), ExitCode: sum.ExitCode, Stop: sum.Stop,
		Lost: sum.Lost, HandedBack: sum.HandedBack, Components: sum.Components}
}

// LostDetail lists the components that lost something, e.g. "http: 3 requests, queue: 4 jobs".
func (v *Service) LostDetail() string {
	var parts []string
	for _, c := range v.Components {
		if c.Lost > 0 {
			parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s: %d %s", c.Name, c.Lost, c.Unit)))
		}
	}
	return strings.Join(parts, ", ")
}

func (s Summary) who(st Stop) string {
	if s.Mode == "rollout" {
		return fmt.Sprintf("instance %d", st.Instance)
	}
	return "the service"
}

func checks(s Summary, problems []string) []Check {
	drill := Check{Name: CheckDrill, Reasons: slices.Clone(problems)}
	if s.Requests == 0 {
		drill.Reasons = append(drill.Reasons, "no request was sent")
	}
	if s.Behind {
		drill.Reasons = append(drill.Reasons, fmt.Sprintf("the drill sent %.0f req/s but %d were asked: more than 5 %% behind, so it cannot vouch for this run", s.AchievedRate, s.AskedRate))
	}

	failed := Check{Name: CheckFailed}
	if s.MaxFailed > 0 {
		failed.Name = fmt.Sprintf("at most %d requests failed", s.MaxFailed)
	}
	if s.Failed > s.MaxFailed {
		msg := fmt.Sprintf("%d of %d requests failed", s.Failed, s.Requests)
		if s.MaxFailed > 0 {
			msg += fmt.Sprintf(" (more than --max-failed %d)", s.MaxFailed)
		}
		failed.Reasons = append(failed.Reasons, msg)
	}

	exit, budget := Check{Name: CheckExitCode}, Check{Name: CheckBudget}
	unknown := 0
	for _, st := range s.Stops {
		who := s.who(st)
		switch {
		case st.Killed:
		case st.ExitCode == nil:
			unknown++
		case *st.ExitCode != 0:
			exit.Reasons = append(exit.Reasons, fmt.Sprintf("%s exited with code %d", who, *st.ExitCode))
		}
		switch {
		case st.Killed:
			budget.Reasons = append(budget.Reasons, fmt.Sprintf("%s did not exit within its %v budget and was killed", who, s.Budget))
		case !st.Exited && st.Trigger == "":
			budget.Reasons = append(budget.Reasons, fmt.Sprintf("%s did not exit within its %v budget", who, s.Budget))
		case st.SignalToExit != nil && *st.SignalToExit > s.Budget:
			budget.Reasons = append(budget.Reasons, fmt.Sprintf("%s took %v to exit, over its %v budget", who, st.SignalToExit.Round(time.Millisecond), s.Budget))
		}
		if st.TriggerKilled {
			budget.Reasons = append(budget.Reasons, fmt.Sprintf("the trigger command did not return within the %v budget; the drill killed it", s.Budget))
		}
	}
	if s.Service != nil && s.Service.Stop > s.Budget {
		budget.Reasons = append(budget.Reasons, fmt.Sprintf("the service reports a stop of %v, over the %v budget", s.Service.Stop.Round(time.Millisecond), s.Budget))
	}
	switch {
	case len(s.Stops) == 0:
		exit.Skipped, exit.Reasons = true, []string{"nothing was stopped"}
	case unknown > 0 && s.Service != nil && s.Service.ExitCode != nil:
		if c := *s.Service.ExitCode; c != 0 {
			exit.Reasons = append(exit.Reasons, fmt.Sprintf("the service reports exit code %d (%s)", c, grace.ExitCodeName(c)))
		}
	case unknown > 0 && len(exit.Reasons) == 0:
		exit.Skipped, exit.Reasons = true, []string{"the drill did not start the service and read no report with its exit code (give --service-report)"}
	}
	if len(budget.Reasons) == 0 && len(s.Stops) == 0 {
		budget.Skipped, budget.Reasons = true, []string{"nothing was stopped"}
	}

	out := []Check{drill, failed, exit, budget}
	if s.MaxP99 > 0 {
		p99 := Check{Name: fmt.Sprintf("p99 latency at most %v", s.MaxP99)}
		if s.Latency.P99 > s.MaxP99 {
			p99.Reasons = []string{fmt.Sprintf("p99 latency %v is over --max-p99 %v", ms(s.Latency.P99), s.MaxP99)}
		}
		out = append(out, p99)
	}
	if s.Service != nil {
		svc := Check{Name: CheckService}
		switch {
		case s.Service.Err != "":
			svc.Reasons = []string{"no report from the service: " + s.Service.Err}
		case s.Service.Lost > 0:
			msg := fmt.Sprintf("the service reports %d lost", s.Service.Lost)
			if d := s.Service.LostDetail(); d != "" {
				msg += " (" + d + ")"
			}
			svc.Reasons = []string{msg}
		}
		out = append(out, svc)
	}
	for i := range out {
		out[i].OK = len(out[i].Reasons) == 0 && !out[i].Skipped
	}
	return out
}

// disagreements compares what clients saw with what the service reports.
func disagreements(s Summary) []string {
	v := s.Service
	if v == nil || v.Err != "" {
		return nil
	}
	var out []string
	switch {
	case s.Failed > 0 && v.Lost == 0:
		out = append(out, fmt.Sprintf("clients saw %d failed requests (%s); the service reports nothing lost: failures it did not see (refused connections, a proxy's 5xx) or did not count",
			s.Failed, s.failedKinds()))
	case v.Lost > 0 && s.Failed == 0:
		msg := fmt.Sprintf("the service reports %d lost", v.Lost)
		if d := v.LostDetail(); d != "" {
			msg += " (" + d + ")"
		}
		out = append(out, msg+" that no client saw fail: work accepted, answered, then dropped")
	}
	if v.ExitCode != nil {
		for _, st := range s.Stops {
			if st.ExitCode != nil && *st.ExitCode != *v.ExitCode && len(s.Stops) == 1 {
				out = append(out, fmt.Sprintf("the process exited with code %d; its report says %d", *st.ExitCode, *v.ExitCode))
			}
		}
	}
	return out
}

func (s Summary) failedKinds() string {
	var parts []string
	for _, k := range []string{"refused", "reset", "eof", "timeout", "5xx", "other"} {
		if n := s.FailedByKind[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	return strings.Join(parts, ", ")
}
