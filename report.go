package grace

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"
)

// TriggerKind says what started the stop.
type TriggerKind string

// The kinds of trigger.
const (
	TriggerNone    TriggerKind = ""        // the app never started (configuration error)
	TriggerSignal  TriggerKind = "signal"  // a signal from WithSignals
	TriggerStop    TriggerKind = "stop"    // App.Stop
	TriggerContext TriggerKind = "context" // Run's context ended
	TriggerFailure TriggerKind = "failure" // a component failed to start, or failed while running
)

// Trigger is what started the stop.
type Trigger struct {
	Kind      TriggerKind `json:"kind"`
	Signal    string      `json:"signal,omitempty"`
	Reason    string      `json:"reason,omitempty"`
	Component string      `json:"component,omitempty"`
	At        time.Time   `json:"at"`
}

func (t Trigger) String() string {
	switch t.Kind {
	case TriggerSignal:
		return "signal " + t.Signal
	case TriggerStop:
		return "stop (" + t.Reason + ")"
	case TriggerFailure:
		return "failure of " + t.Component + ": " + t.Reason
	case TriggerContext:
		return "context: " + t.Reason
	}
	return "none"
}

// Component states in a report.
const (
	StateNotStarted = "not started" // its start was never called (a dependency failed, or a stop came first)
	StateFailed     = "failed"      // its start failed, timed out or panicked
	StateRunning    = "running"     // started; never stopped (Run was forced to return)
	StateStopped    = "stopped"     // stopped within its limit (maybe with an error)
	StateAbandoned  = "abandoned"   // its stop overran its limit or was forced; the engine moved on
	StateDone       = "done"        // a worker that finished its work before the stop
)

// ComponentReport is what happened to one component.
type ComponentReport struct {
	Name     string        `json:"name"`
	State    string        `json:"state"`
	StartAt  time.Time     `json:"start_at,omitzero"` // when its start began
	Start    time.Duration `json:"start_ns"`          // how long its start took
	StopAt   time.Time     `json:"stop_at,omitzero"`  // when its stop began
	Stop     time.Duration `json:"stop_ns"`           // how long its stop took
	Err      error         `json:"-"`
	Error    string        `json:"error,omitempty"`
	TimedOut bool          `json:"timed_out,omitempty"`
	Panicked bool          `json:"panicked,omitempty"`
	// Stack is where the component panicked (Panicked) or called runtime.Goexit (its Err then
	// matches [ErrGoexit]).
	Stack    string `json:"stack,omitempty"`
	Restarts int    `json:"restarts,omitempty"`
	// Account is what the component lost or handed back at its stop, if it keeps an account
	// ([Accounter]); its fields appear inline in JSON ("unit", "lost", "handed_back").
	Account
	// Goroutines holds, for an abandoned component, the stacks of its goroutines at the time.
	Goroutines string `json:"goroutines,omitempty"`
	// LeftBehind counts goroutines the component (or an SDK it called) started that were still
	// alive after it stopped; LeftBehindStacks shows them.
	LeftBehind       int    `json:"left_behind,omitempty"`
	LeftBehindStacks string `json:"left_behind_stacks,omitempty"`
}

// PhaseTime is when the app entered a phase.
type PhaseTime struct {
	Phase Phase     `json:"phase"`
	At    time.Time `json:"at"`
}

// Report is the account of one run, returned by [App.Run]. It renders as text (String) and as
// JSON (encoding/json), and logs as a group (slog.LogValuer). A report written as JSON decodes
// back into a Report with every field but the error values (Err): their text is in Error, so a
// tool can read a service's own report — see [ReadReport].
type Report struct {
	Trigger  Trigger     `json:"trigger"`
	Phases   []PhaseTime `json:"phases"`
	ExitCode int         `json:"exit_code"`
	Err      error       `json:"-"`
	Error    string      `json:"error,omitempty"`
	// StopDuration runs from the trigger to the end of the stop.
	StopDuration time.Duration `json:"stop_ns"`
	// DrainDelay is the configured delay; DelayEndedBy says what ended it: "elapsed", "quiet"
	// (every Quieter was quiet), "signal" (a second signal), "budget", or "none" (no delay).
	DrainDelay   time.Duration     `json:"drain_delay_ns"`
	DelayEndedBy string            `json:"delay_ended_by,omitempty"`
	Delay        time.Duration     `json:"delay_ns"`
	Components   []ComponentReport `json:"components"`
	// Lost and HandedBack total the components' accounts ([Accounter]), read when the report is
	// built: units of accepted work lost at the stop (left in a queue, cut at a deadline, in
	// hand of an abandoned component), and units returned for redelivery. Lost > 0 makes the
	// exit code [ExitLost] unless a worse one applies ([ExitForced], [ExitStartFailed],
	// [ExitCrashed] come first), and Err then matches [ErrLost] whatever the code. Components
	// that never started are not counted. Work in hand of an abandoned component is counted as
	// lost even if it finishes after the report.
	Lost       int64 `json:"lost"`
	HandedBack int64 `json:"handed_back"`
	// Forensics holds the stacks of every goroutine the engine labelled, dumped when the hard
	// deadline passed or a third signal forced the end.
	Forensics string `json:"forensics,omitempty"`
}

// Component returns the report of the named component, or nil.
func (r *Report) Component(name string) *ComponentReport {
	for i := range r.Components {
		if r.Components[i].Name == name {
			return &r.Components[i]
		}
	}
	return nil
}

// String renders the report as a table for people.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "grace: %s; stopped by %s in %v; exit %d (%s)\n", r.verdict(), r.Trigger,
		r.StopDuration.Round(time.Millisecond), r.ExitCode, ExitCodeName(r.ExitCode))
	if r.DelayEndedBy != "" && r.DelayEndedBy != "none" {
		fmt.Fprintf(&b, "drain delay %v, ended by %s after %v\n", r.DrainDelay, r.DelayEndedBy, r.Delay.Round(time.Millisecond))
	}
	if r.Lost > 0 || r.HandedBack > 0 {
		fmt.Fprintf(&b, "accepted work: %d lost, %d handed back for redelivery\n", r.Lost, r.HandedBack)
	}
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "component\tstate\tstart\tstop\terror")
	for _, c := range r.Components {
		state := c.State
		if c.TimedOut {
			state += " (timed out)"
		}
		if c.Panicked {
			state += " (panicked)"
		}
		if c.LeftBehind > 0 {
			state += fmt.Sprintf(" (%d goroutines left behind)", c.LeftBehind)
		}
		if s := c.Account.String(); s != "" {
			state += " (" + s + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%s\n", c.Name, state, c.Start.Round(time.Microsecond), c.Stop.Round(time.Microsecond), c.Error)
	}
	tw.Flush()
	for _, c := range r.Components {
		if c.Goroutines != "" {
			fmt.Fprintf(&b, "\ngoroutines of %s when it was abandoned:\n%s", c.Name, c.Goroutines)
		}
		if c.LeftBehindStacks != "" {
			fmt.Fprintf(&b, "\ngoroutines %s left behind:\n%s", c.Name, c.LeftBehindStacks)
		}
	}
	return b.String()
}

func (r *Report) verdict() string {
	if r.ExitCode == ExitClean {
		return "clean stop"
	}
	return "stop with problems"
}

// LogValue logs the report as a group: trigger, exit code, and each component's state and times.
func (r *Report) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("trigger", r.Trigger.String()),
		slog.Int("exit_code", r.ExitCode),
		slog.Duration("stop", r.StopDuration),
	}
	if r.DelayEndedBy != "" {
		attrs = append(attrs, slog.String("delay_ended_by", r.DelayEndedBy))
	}
	attrs = append(attrs, slog.Int64("lost", r.Lost), slog.Int64("handed_back", r.HandedBack))
	for _, c := range r.Components {
		ca := []any{slog.String("state", c.State), slog.Duration("stop", c.Stop)}
		if c.Error != "" {
			ca = append(ca, slog.String("error", c.Error))
		}
		if c.LeftBehind > 0 {
			ca = append(ca, slog.Int("left_behind", c.LeftBehind))
		}
		if c.Lost > 0 || c.HandedBack > 0 {
			ca = append(ca, slog.String("unit", c.Unit), slog.Int64("lost", c.Lost), slog.Int64("handed_back", c.HandedBack))
		}
		attrs = append(attrs, slog.Group(c.Name, ca...))
	}
	return slog.GroupValue(attrs...)
}

// ReadReport decodes a report written with encoding/json. It does not read the slog form that
// [App.Main] logs (a group of attributes, not the JSON encoding). Err fields stay nil; their text
// is in the Error fields.
func ReadReport(data []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("grace: read report: %w", err)
	}
	return &r, nil
}
