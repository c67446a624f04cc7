// Package servicereport reads what a service says about its own stop: the shutdown report a
// grace app writes (grace.Report as JSON, or logged by App.Main through a JSON slog handler as
// "grace: shutdown report" with the report under "report"). Parsing is tolerant: unknown fields
// are ignored and absent counts are zero, so reports from older and newer grace versions read.
package servicereport

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// LogMessage is the message App.Main logs the report with.
const LogMessage = "grace: shutdown report"

// marker is what a log message must contain to carry a report: App.Main's message, and any
// service's own wording around it (examples/orders logs "shutdown report").
const marker = "shutdown report"

// Report is one service's account of one stop.
type Report struct {
	ExitCode   *int          // nil when the report does not say
	Trigger    string        // what started the stop, e.g. "signal terminated"; "" when unknown
	Stop       time.Duration // trigger to end of stop; 0 when unknown
	Lost       int           // units accepted and not finished
	HandedBack int           // units handed back for redelivery (not lost)
	Components []Component   // the components that lost or handed back something
}

// Component is one component's loss account.
type Component struct {
	Name       string `json:"name"`
	State      string `json:"state,omitempty"`
	Unit       string `json:"unit,omitempty"`
	Lost       int    `json:"lost,omitempty"`
	HandedBack int    `json:"handed_back,omitempty"`
}

// Parse returns every shutdown report in b, in order. b is either one JSON report (the
// encoding/json form of grace.Report) or log output: each line that is a JSON object whose msg
// contains "shutdown report" (LogMessage, or a service's own wording) contributes the object
// under "report"; lines that are not JSON are skipped.
func Parse(b []byte) []Report {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var m map[string]any
		if json.Unmarshal(trimmed, &m) == nil {
			if r, ok := fromLine(m); ok {
				return []Report{r}
			}
		}
	}
	var out []Report
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] != '{' || !bytes.Contains(line, []byte("report")) {
			continue
		}
		var m map[string]any
		if json.Unmarshal(line, &m) != nil {
			continue
		}
		if r, ok := fromLine(m); ok {
			out = append(out, r)
		}
	}
	return out
}

// fromLine reads a log record carrying a report, or a bare report.
func fromLine(m map[string]any) (Report, bool) {
	if msg, _ := m["msg"].(string); strings.Contains(msg, marker) {
		if rep, ok := m["report"].(map[string]any); ok {
			return fromObject(rep), true
		}
		return Report{}, false
	}
	_, hasCode := m["exit_code"]
	_, hasComponents := m["components"].([]any)
	if hasCode && hasComponents {
		return fromObject(m), true
	}
	return Report{}, false
}

// fromObject reads a report in either form: encoding/json (components as an array) or slog
// (each component a group keyed by its name, holding at least "state").
func fromObject(m map[string]any) Report {
	var r Report
	if code, ok := number(m["exit_code"]); ok {
		c := int(code)
		r.ExitCode = &c
	}
	switch t := m["trigger"].(type) {
	case string:
		r.Trigger = t
	case map[string]any:
		kind, _ := t["kind"].(string)
		sig, _ := t["signal"].(string)
		r.Trigger = strings.TrimSpace(kind + " " + sig)
	}
	for _, k := range []string{"stop_ns", "stop"} {
		if ns, ok := number(m[k]); ok {
			r.Stop = time.Duration(ns)
			break
		}
	}
	var comps []Component
	if arr, ok := m["components"].([]any); ok {
		for _, v := range arr {
			if cm, ok := v.(map[string]any); ok {
				name, _ := cm["name"].(string)
				comps = append(comps, component(name, cm))
			}
		}
	} else {
		for name, v := range m {
			if cm, ok := v.(map[string]any); ok {
				if _, isComponent := cm["state"]; isComponent {
					comps = append(comps, component(name, cm))
				}
			}
		}
	}
	var sumLost, sumBack int
	for _, c := range comps {
		sumLost += c.Lost
		sumBack += c.HandedBack
		if c.Lost > 0 || c.HandedBack > 0 {
			r.Components = append(r.Components, c)
		}
	}
	sortComponents(r.Components)
	r.Lost, r.HandedBack = sumLost, sumBack
	if n, ok := number(m["lost"]); ok {
		r.Lost = max(int(n), 0)
	}
	if n, ok := number(m["handed_back"]); ok {
		r.HandedBack = max(int(n), 0)
	}
	return r
}

func component(name string, m map[string]any) Component {
	c := Component{Name: name}
	c.State, _ = m["state"].(string)
	c.Unit, _ = m["unit"].(string)
	if n, ok := number(m["lost"]); ok {
		c.Lost = max(int(n), 0)
	}
	if n, ok := number(m["handed_back"]); ok {
		c.HandedBack = max(int(n), 0)
	}
	return c
}

// number reads a JSON number; counts beyond ±2^53 are clamped rather than overflowing int.
func number(v any) (float64, bool) {
	f, ok := v.(float64)
	if !ok || f != f {
		return 0, false
	}
	const limit = 1 << 53
	return min(max(f, -limit), limit), true
}

func sortComponents(cs []Component) {
	slices.SortStableFunc(cs, func(a, b Component) int { return strings.Compare(a.Name, b.Name) })
}

// Sum adds reports up: the losses of every instance that stopped (a rollout stops several).
// ExitCode is the first non-zero code (else 0 when any report had one), Stop the longest.
func Sum(rs []Report) Report {
	var out Report
	for _, r := range rs {
		out.Lost += r.Lost
		out.HandedBack += r.HandedBack
		out.Components = append(out.Components, r.Components...)
		out.Stop = max(out.Stop, r.Stop)
		if out.Trigger == "" {
			out.Trigger = r.Trigger
		}
		if r.ExitCode != nil && (out.ExitCode == nil || *out.ExitCode == 0) {
			c := *r.ExitCode
			out.ExitCode = &c
		}
	}
	return out
}
