package grace_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/testkit"
)

// The end-to-end tests re-run this test binary as a child service (TestMain sees childEnv),
// send it real signals, and read its JSON log: the phases, the stop order and the report.
const childEnv = "GRACE_E2E_CHILD"

// childMain is the child service: a db, a worker that uses it, and a component whose stop takes
// as long as GRACE_E2E_SLOW says (or hangs: "hang").
func childMain() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	app := grace.New(grace.WithLogger(log), grace.WithBudget(20*time.Second),
		grace.WithEscalatedBudget(300*time.Millisecond), grace.WithDrainDelay(100*time.Millisecond))
	say := func(op, name string) { log.Info("e2e", "op", op, "component", name) }
	app.Add("db", grace.Hook{OnStop: func(context.Context) error { say("stop", "db"); return nil }})
	app.Add("worker", grace.RunFunc(func(ctx context.Context) error {
		<-ctx.Done()
		say("stop", "worker")
		return nil
	}))
	app.Add("exporter", grace.StopFunc(func(ctx context.Context) error {
		switch os.Getenv("GRACE_E2E_SLOW") {
		case "hang":
			select {} // ignores its context: only the budget or a signal gets past it
		case "slow":
			<-ctx.Done()
			return ctx.Err()
		}
		say("stop", "exporter")
		return nil
	}))
	app.Main()
}

type childLine struct {
	Msg       string          `json:"msg"`
	Phase     string          `json:"phase"`
	Op        string          `json:"op"`
	Component string          `json:"component"`
	Report    json.RawMessage `json:"report"`
}

// child is the service of childMain, run as a child process; it logs JSON lines to stdout.
type child struct {
	*testkit.Child
	t *testing.T
}

func startChild(t *testing.T, slow string) *child {
	t.Helper()
	return &child{testkit.StartChildLines(t, childEnv+"=1", "GRACE_E2E_SLOW="+slow), t}
}

// waitFor reads log lines until one matches (what names it), and returns the lines read.
func (c *child) waitFor(what string, match func(childLine) bool) []childLine {
	c.t.Helper()
	var read []childLine
	c.ReadUntil(c.t, 20*time.Second, what, func(s string) bool {
		var l childLine
		if json.Unmarshal([]byte(s), &l) != nil {
			return false
		}
		read = append(read, l)
		return match(l)
	})
	return read
}

func (c *child) waitForPhase(p string) {
	c.t.Helper()
	c.waitFor("phase "+p, func(l childLine) bool { return l.Msg == "grace: phase" && l.Phase == p })
}

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	c.Signal(c.t, sig)
}

// finish reads the rest, waits for the exit, and returns the exit code, the stop order and the
// report.
func (c *child) finish() (int, []string, map[string]any) {
	c.t.Helper()
	var order []string
	var report map[string]any
	for _, l := range c.waitFor("the report", func(l childLine) bool { return l.Msg == "grace: shutdown report" }) {
		if l.Msg == "e2e" && l.Op == "stop" {
			order = append(order, l.Component)
		}
		if l.Report != nil {
			if err := json.Unmarshal(l.Report, &report); err != nil {
				c.t.Fatal(err)
			}
		}
	}
	return exitCode(c.t, c.Wait(c.t, 20*time.Second)), order, report
}

// stopTwice starts the child, and once it is ready sends it SIGTERM, and once it stops, a second.
func stopTwice(t *testing.T, slow string) *child {
	t.Helper()
	c := startChild(t, slow)
	c.waitForPhase("ready")
	c.signal(syscall.SIGTERM)
	c.waitForPhase("stopping")
	c.signal(syscall.SIGTERM)
	return c
}

func TestEndToEndOneSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			c := startChild(t, "")
			c.waitForPhase("ready")
			c.signal(sig)
			code, order, rep := c.finish()
			if code != grace.ExitClean {
				t.Errorf("exit %d, want 0; report %v", code, rep)
			}
			if strings.Join(order, ",") != "exporter,worker,db" {
				t.Errorf("stop order %v, want exporter,worker,db", order)
			}
			if rep["trigger"] != "signal "+sig.String() {
				t.Errorf("trigger %v", rep["trigger"])
			}
		})
	}
}

func TestEndToEndSecondSignalShortensBudget(t *testing.T) {
	code, order, rep := stopTwice(t, "slow").finish()
	if code != grace.ExitStopFailed {
		t.Errorf("exit %d, want %d", code, grace.ExitStopFailed)
	}
	if fmt.Sprint(rep["exporter"]) == "" || !strings.Contains(fmt.Sprint(rep["exporter"]), "escalated budget") {
		t.Errorf("exporter: %v", rep["exporter"])
	}
	// Once the escalated budget is gone, the rest are stopped and abandoned at once: their stops
	// race each other and the exit. What matters is that each was still stopped — it said so
	// before the report, or the report shows its stop begun and abandoned to the budget.
	for _, name := range []string{"db", "worker"} {
		r, _ := rep[name].(map[string]any)
		abandoned := r["state"] == grace.StateAbandoned && strings.Contains(fmt.Sprint(r["error"]), "escalated budget")
		if !slices.Contains(order, name) && !abandoned {
			t.Errorf("%s: not stopped (said stop: %v; report %v)", name, order, r)
		}
	}
}

func TestEndToEndThirdSignalForcesExit(t *testing.T) {
	c := stopTwice(t, "hang")
	// The kernel merges a signal into one already pending, so wait until the second is seen.
	c.waitFor("the second signal", func(l childLine) bool { return strings.HasPrefix(l.Msg, "grace: second signal") })
	c.signal(syscall.SIGTERM)
	code, _, _ := c.finish()
	if code != grace.ExitForced {
		t.Errorf("exit %d, want %d (forced)", code, grace.ExitForced)
	}
}

func TestMainExitsOnceWithTheReportsCode(t *testing.T) {
	var codes []int
	app := grace.New(grace.WithSignals(), grace.WithLogger(quiet), grace.WithExit(func(code int) { codes = append(codes, code) }))
	app.Add("w", grace.RunFunc(func(context.Context) error { return errBoom }))
	app.Main()
	if len(codes) != 1 || codes[0] != grace.ExitCrashed {
		t.Errorf("exit calls %v, want one with %d", codes, grace.ExitCrashed)
	}
}
