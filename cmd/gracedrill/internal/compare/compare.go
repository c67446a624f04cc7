// Package compare puts drills side by side: it reads their JSON reports and writes a plain
// table of the headline figures that stays aligned in an 80-column terminal, and one HTML page
// drawing every run on the same axes with the same phase markers.
package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
)

// Run is one drill's report and the name it goes by (its file name without .json).
type Run struct {
	Name   string
	Report jsonreport.Report
}

// Load reads the reports at paths. A file that is not a gracedrill JSON report is an error
// naming it.
func Load(paths []string) ([]Run, error) {
	if len(paths) == 0 {
		return nil, errors.New("compare: no reports given: gracedrill compare A.json B.json ... [--html FILE]")
	}
	var out []Run
	seen := map[string]int{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		var r jsonreport.Report
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("compare: %s: not a gracedrill JSON report: %w", p, err)
		}
		for _, k := range []string{"mode", "requests", "verdict"} {
			if _, ok := probe[k]; !ok {
				return nil, fmt.Errorf("compare: %s: not a gracedrill JSON report (no %q field)", p, k)
			}
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("compare: %s: %w", p, err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s (%d)", name, seen[name])
		}
		out = append(out, Run{Name: name, Report: r})
	}
	return out, nil
}

// Row is one headline figure: its label and its value in each run.
type Row struct {
	Label  string
	Values []string
}

// Rows are the headline figures of runs, in table order.
func Rows(runs []Run) []Row {
	row := func(label string, f func(r jsonreport.Report) string) Row {
		out := Row{Label: label}
		for _, run := range runs {
			out.Values = append(out.Values, f(run.Report))
		}
		return out
	}
	return []Row{
		row("verdict", func(r jsonreport.Report) string { return strings.ToUpper(r.Verdict) }),
		row("requests", func(r jsonreport.Report) string { return fmt.Sprint(r.Requests) }),
		row("ok", func(r jsonreport.Report) string { return fmt.Sprint(r.OK) }),
		row("failed", func(r jsonreport.Report) string { return fmt.Sprint(r.Failed) }),
		row("failed by kind", func(r jsonreport.Report) string { return kinds(r.FailedByKind) }),
		row("p99 latency", func(r jsonreport.Report) string { return msText(&r.LatencyMS.P99) }),
		row("in flight at signal", func(r jsonreport.Report) string { return fmt.Sprint(r.InFlightAtSignal) }),
		row("signal → not ready", func(r jsonreport.Report) string { return msText(r.SignalToNotReady) }),
		row("signal → lb out", func(r jsonreport.Report) string { return msText(r.SignalToLBOut) }),
		row("signal → closed", func(r jsonreport.Report) string { return msText(r.SignalToClosed) }),
		row("signal → exit", func(r jsonreport.Report) string { return msText(r.SignalToExit) }),
		row("exit code", func(r jsonreport.Report) string { return fmt.Sprint(r.ExitCode) }),
		row("service lost", func(r jsonreport.Report) string {
			if r.Service == nil || r.Service.Error != "" {
				return "no report"
			}
			return fmt.Sprint(r.Service.Lost)
		}),
		row("disagreements", func(r jsonreport.Report) string { return fmt.Sprint(len(r.Disagreements)) }),
	}
}

func kinds(m map[string]int) string {
	var parts []string
	for _, k := range []string{"refused", "reset", "eof", "timeout", "5xx", "other"} {
		if n := m[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func msText(v *float64) string {
	switch {
	case v == nil:
		return "—"
	case *v >= 1000:
		return fmt.Sprintf("%.2f s", *v/1000)
	default:
		return fmt.Sprintf("%.0f ms", *v)
	}
}

// Width is the terminal width the table fits.
const Width = 80

const (
	labelWidth = 20
	gap        = 2
	minColumn  = 12
	maxColumn  = 28
)

// WriteTable writes the rows as a plain table, spaces only, every line at most Width
// characters: runs that do not fit beside each other go to a further table below. A value too
// long for its column is cut, ending in "~".
func WriteTable(w io.Writer, runs []Run) error {
	rows := Rows(runs)
	per := max(1, (Width-labelWidth)/(minColumn+gap))
	var b strings.Builder
	for from := 0; from < len(runs); from += per {
		to := min(len(runs), from+per)
		col := min(maxColumn, (Width-labelWidth)/(to-from)-gap)
		if from > 0 {
			b.WriteString("\n")
		}
		line := []string{pad("", labelWidth)}
		for _, r := range runs[from:to] {
			line = append(line, pad(cut(r.Name, col), col))
		}
		b.WriteString(strings.TrimRight(strings.Join(line, strings.Repeat(" ", gap)), " ") + "\n")
		for _, row := range rows {
			line := []string{pad(cut(row.Label, labelWidth), labelWidth)}
			for _, v := range row.Values[from:to] {
				line = append(line, pad(cut(v, col), col))
			}
			b.WriteString(strings.TrimRight(strings.Join(line, strings.Repeat(" ", gap)), " ") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "~"
}

func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-len([]rune(s))))
}
