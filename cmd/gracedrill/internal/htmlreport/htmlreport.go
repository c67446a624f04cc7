// Package htmlreport writes a drill as one self-contained HTML page: the summary, and a timeline
// chart (requests/s, failures, in flight, latency percentiles) with the shutdown phases marked.
// The page loads nothing from the network; its script draws inline SVG.
package htmlreport

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

type view struct {
	Title         string
	Verdict       string
	Reasons       []string
	Disagreements []string
	Rows          [][2]string
	Stops         [][]string
	Data          template.JS
}

// Write renders the page for s, reqs and events to w.
func Write(w io.Writer, s summary.Summary, reqs []record.Request, events []record.Event) error {
	d := jsonreport.TimelineOf(reqs, events)
	js, err := json.Marshal(d) // escapes <, > and & so the data cannot end the script element
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	t, err := template.New("report").Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	v := view{
		Title: "gracedrill " + s.Mode + ": " + strings.ToUpper(s.Verdict), Verdict: s.Verdict, Reasons: s.Reasons, Disagreements: s.Disagreements,
		Rows: rows(s), Stops: stops(s), Data: template.JS(js),
	}
	if err := t.Execute(w, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// WriteFile renders the page to path.
func WriteFile(path string, s summary.Summary, reqs []record.Request, events []record.Event) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if err := Write(f, s, reqs, events); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

func rows(s summary.Summary) [][2]string {
	kinds := []string{}
	for _, k := range record.FailureKinds() {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, s.FailedByKind[k.String()]))
	}
	return [][2]string{
		{"requests", fmt.Sprint(s.Requests)},
		{"ok", fmt.Sprint(s.OK)},
		{"failed", fmt.Sprint(s.Failed)},
		{"failed by kind", strings.Join(kinds, " · ")},
		{"rate", fmt.Sprintf("%.0f req/s sent of %d asked", s.AchievedRate, s.AskedRate)},
		{"latency", fmt.Sprintf("p50 %.1f ms · p90 %.1f ms · p99 %.1f ms · max %.1f ms", ms(s.Latency.P50), ms(s.Latency.P90), ms(s.Latency.P99), ms(s.Latency.Max))},
		{"exit code", fmt.Sprintf("%d (%s)", s.ExitCode(), s.ExitCodeSource())},
		{"exit budget", s.Budget.String()},
		{"service report", service(s.Service)},
	}
}

func service(v *summary.Service) string {
	switch {
	case v == nil:
		return "none"
	case v.Err != "":
		return "none: " + v.Err
	}
	out := fmt.Sprintf("%d from %s · lost %d", v.Reports, v.Source, v.Lost)
	if d := v.LostDetail(); d != "" {
		out += " (" + d + ")"
	}
	if v.HandedBack > 0 {
		out += fmt.Sprintf(" · handed back %d", v.HandedBack)
	}
	return out
}

func stops(s summary.Summary) [][]string {
	var out [][]string
	for _, st := range s.Stops {
		code := "—"
		if st.ExitCode != nil {
			code = fmt.Sprint(*st.ExitCode)
		}
		if st.Killed {
			code += " (killed)"
		}
		out = append(out, []string{
			fmt.Sprint(st.Instance), fmt.Sprintf("%.3f s", st.SignalAt.Seconds()), fmt.Sprint(st.InFlightAtSignal),
			opt(st.SignalToNotReady), opt(st.SignalToLBNotReady), opt(st.SignalToListenerClosed), opt(st.SignalToExit), code,
		})
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func opt(d *time.Duration) string {
	if d == nil {
		return "—"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
