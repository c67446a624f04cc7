package summary

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the summary for people, one fact a line.
func WriteText(w io.Writer, s Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "gracedrill %s\n", s.Mode)
	fmt.Fprintf(&b, "  rate              %.0f req/s sent of %d asked over %v\n", s.AchievedRate, s.AskedRate, s.SendWindow.Round(time.Millisecond))
	fmt.Fprintf(&b, "  requests          %d\n", s.Requests)
	fmt.Fprintf(&b, "  ok                %d\n", s.OK)
	fmt.Fprintf(&b, "  failed            %d", s.Failed)
	if s.Failed > 0 {
		var parts []string
		for _, k := range []string{"refused", "reset", "eof", "timeout", "5xx", "other"} {
			if n := s.FailedByKind[k]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", k, n))
			}
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  latency           p50 %v  p90 %v  p99 %v  max %v\n", ms(s.Latency.P50), ms(s.Latency.P90), ms(s.Latency.P99), ms(s.Latency.Max))
	for _, st := range s.Stops {
		if s.Mode == "rollout" {
			fmt.Fprintf(&b, "  restart of instance %d at %v\n", st.Instance, st.SignalAt.Round(time.Millisecond))
		}
		if st.Trigger != "" {
			writeTrigger(&b, st)
			continue
		}
		fmt.Fprintf(&b, "  in flight at signal        %d\n", st.InFlightAtSignal)
		fmt.Fprintf(&b, "  signal → not ready         %s\n", opt(st.SignalToNotReady))
		fmt.Fprintf(&b, "  signal → lb took it out    %s\n", opt(st.SignalToLBNotReady))
		fmt.Fprintf(&b, "  signal → listener closed   %s\n", opt(st.SignalToListenerClosed))
		fmt.Fprintf(&b, "  signal → exit              %s\n", opt(st.SignalToExit))
		code := "none (did not exit)"
		switch {
		case st.ExitCode != nil:
			code = fmt.Sprint(*st.ExitCode)
		case st.Exited:
			code = "unknown (not the drill's child)"
		}
		if st.Killed {
			code += " (killed after budget)"
		}
		fmt.Fprintf(&b, "  exit code                  %s\n", code)
	}
	writeService(&b, s)
	if len(s.Disagreements) > 0 {
		b.WriteString("clients and service disagree:\n")
		for _, d := range s.Disagreements {
			fmt.Fprintf(&b, "  ! %s\n", d)
		}
	}
	fmt.Fprintf(&b, "verdict: %s\n", strings.ToUpper(s.Verdict))
	for _, r := range s.Reasons {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
	b.WriteString(ResultLine(s) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func opt(d *time.Duration) string {
	if d == nil {
		return "not observed"
	}
	return d.Round(time.Millisecond).String()
}

func writeTrigger(b *strings.Builder, st Stop) {
	fmt.Fprintf(b, "  trigger           %s\n", st.Trigger)
	fmt.Fprintf(b, "  trigger at        %v\n", st.SignalAt.Round(time.Millisecond))
	ret := "did not return"
	switch {
	case st.TriggerKilled:
		ret = "did not return within the budget; killed"
	case st.TriggerReturned != nil:
		ret = st.TriggerReturned.Round(time.Millisecond).String()
		if st.TriggerCode != nil {
			ret += fmt.Sprintf(" (exit code %d)", *st.TriggerCode)
		}
	}
	fmt.Fprintf(b, "  trigger returned  %s\n", ret)
	fmt.Fprintf(b, "  in flight at trigger       %d\n", st.InFlightAtSignal)
	fmt.Fprintf(b, "  trigger → not ready        %s\n", opt(st.SignalToNotReady))
}

func writeService(b *strings.Builder, s Summary) {
	v := s.Service
	if v == nil {
		return
	}
	if v.Err != "" {
		fmt.Fprintf(b, "  service report    none: %s\n", v.Err)
		return
	}
	fmt.Fprintf(b, "  service report    %d from %s", v.Reports, v.Source)
	if v.ExitCode != nil {
		fmt.Fprintf(b, ", exit code %d", *v.ExitCode)
	}
	if v.Stop > 0 {
		fmt.Fprintf(b, ", stop %v", v.Stop.Round(time.Millisecond))
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "  service lost      %d", v.Lost)
	if d := v.LostDetail(); d != "" {
		fmt.Fprintf(b, " (%s)", d)
	}
	b.WriteString("\n")
	if v.HandedBack > 0 {
		fmt.Fprintf(b, "  handed back       %d (not lost: redelivered)\n", v.HandedBack)
	}
}

// ResultLine is the one-line, machine-readable verdict: space-separated key=value pairs,
// starting with "gracedrill-result verdict=pass|fail". Keys: requests, failed, exit_code (-1:
// killed or unknown), p99_ms, service_lost (-1: no report), disagreements, checks_failed.
func ResultLine(s Summary) string {
	lost := -1
	if s.Service != nil && s.Service.Err == "" {
		lost = s.Service.Lost
	}
	failedChecks := 0
	for _, c := range s.Checks {
		if !c.OK && !c.Skipped {
			failedChecks++
		}
	}
	return fmt.Sprintf("gracedrill-result verdict=%s requests=%d failed=%d exit_code=%d p99_ms=%.1f service_lost=%d disagreements=%d checks_failed=%d",
		s.Verdict, s.Requests, s.Failed, s.ExitCode(), float64(s.Latency.P99.Microseconds())/1000, lost, len(s.Disagreements), failedChecks)
}
