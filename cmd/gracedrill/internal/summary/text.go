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
		fmt.Fprintf(&b, "  in flight at signal        %d\n", st.InFlightAtSignal)
		fmt.Fprintf(&b, "  signal → not ready         %s\n", opt(st.SignalToNotReady))
		fmt.Fprintf(&b, "  signal → lb took it out    %s\n", opt(st.SignalToLBNotReady))
		fmt.Fprintf(&b, "  signal → listener closed   %s\n", opt(st.SignalToListenerClosed))
		fmt.Fprintf(&b, "  signal → exit              %s\n", opt(st.SignalToExit))
		code := "none (did not exit)"
		if st.ExitCode != nil {
			code = fmt.Sprint(*st.ExitCode)
		}
		if st.Killed {
			code += " (killed after budget)"
		}
		fmt.Fprintf(&b, "  exit code                  %s\n", code)
	}
	fmt.Fprintf(&b, "verdict: %s\n", strings.ToUpper(s.Verdict))
	for _, r := range s.Reasons {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
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
