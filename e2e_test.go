package grace_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
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

type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan childLine
}

func startChild(t *testing.T, slow string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "GRACE_E2E_SLOW="+slow)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, lines: make(chan childLine, 100)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l childLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				c.lines <- l
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return c
}

// waitFor reads lines until one matches, and returns the lines read so far.
func (c *child) waitFor(match func(childLine) bool) []childLine {
	c.t.Helper()
	var seen []childLine
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("child ended before the expected line; saw %+v", seen)
			}
			seen = append(seen, l)
			if match(l) {
				return seen
			}
		case <-deadline:
			c.t.Fatalf("child never logged the expected line; saw %+v", seen)
		}
	}
}

func phaseIs(p string) func(childLine) bool {
	return func(l childLine) bool { return l.Msg == "grace: phase" && l.Phase == p }
}

func isReport(l childLine) bool { return l.Msg == "grace: shutdown report" }

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

// finish reads the rest, waits for the exit, and returns the exit code, the stop order and the
// report.
func (c *child) finish() (int, []string, map[string]any) {
	c.t.Helper()
	var order []string
	var report map[string]any
	for _, l := range c.waitFor(isReport) {
		if l.Msg == "e2e" && l.Op == "stop" {
			order = append(order, l.Component)
		}
		if isReport(l) {
			if err := json.Unmarshal(l.Report, &report); err != nil {
				c.t.Fatal(err)
			}
		}
	}
	err := c.cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return code, order, report
}

func TestEndToEndOneSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			c := startChild(t, "")
			c.waitFor(phaseIs("ready"))
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
	c := startChild(t, "slow")
	c.waitFor(phaseIs("ready"))
	c.signal(syscall.SIGTERM)
	c.waitFor(phaseIs("stopping"))
	c.signal(syscall.SIGTERM)
	code, order, rep := c.finish()
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
		c, _ := rep[name].(map[string]any)
		abandoned := c["state"] == grace.StateAbandoned && strings.Contains(fmt.Sprint(c["error"]), "escalated budget")
		if !slices.Contains(order, name) && !abandoned {
			t.Errorf("%s: not stopped (said stop: %v; report %v)", name, order, c)
		}
	}
}

func TestEndToEndThirdSignalForcesExit(t *testing.T) {
	c := startChild(t, "hang")
	c.waitFor(phaseIs("ready"))
	c.signal(syscall.SIGTERM)
	c.waitFor(phaseIs("stopping"))
	c.signal(syscall.SIGTERM)
	// The kernel merges a signal into one already pending, so wait until the second is seen.
	c.waitFor(func(l childLine) bool { return strings.HasPrefix(l.Msg, "grace: second signal") })
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
