package junit_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/junit"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// A drill with a failed request, over its p99 limit, stopped by a trigger whose service's exit
// code is unknown: "no request failed" and the p99 check fail, "exit code" is skipped.
func TestFailingDrillYieldsFailingCases(t *testing.T) {
	s := summary.Build(summary.Input{Mode: "run", AskedRate: 1, AchievedRate: 1, Budget: time.Second, MaxP99: time.Millisecond,
		Requests: []record.Request{{Latency: 5 * time.Millisecond, Status: 200}, {Kind: record.Refused, Latency: time.Millisecond}},
		Events: []record.Event{{Name: record.Trigger, At: time.Second, Detail: "true"},
			{Name: record.TriggerDone, At: 1100 * time.Millisecond, Detail: "exit status 0"}}})
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := junit.Write(path, junit.FromSummary(s, time.Now(), time.Second)); err != nil {
		t.Fatal(err)
	}
	doc, err := junit.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, c := range doc.Suites[0].Cases {
		switch {
		case c.Failure != nil:
			state[c.Name] = "failed: " + c.Failure.Message
		case c.Skipped != nil:
			state[c.Name] = "skipped"
		default:
			state[c.Name] = "passed"
		}
	}
	want := map[string]string{
		summary.CheckDrill:        "passed",
		summary.CheckFailed:       "failed: 1 of 2 requests failed",
		summary.CheckExitCode:     "skipped",
		summary.CheckBudget:       "passed",
		"p99 latency at most 1ms": "failed: p99 latency 5ms is over --max-p99 1ms",
	}
	for k, v := range want {
		if state[k] != v {
			t.Errorf("case %q: %q, want %q", k, state[k], v)
		}
	}
	if doc.Failures != 2 || doc.Skipped != 1 || doc.Tests != 5 || doc.Suites[0].Failures != 2 {
		t.Errorf("counts tests %d failures %d skipped %d: %+v", doc.Tests, doc.Failures, doc.Skipped, doc)
	}
}

func TestReadRefusesWhatIsNotJUnit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(path, []byte("<testsuites><testsuite"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := junit.Read(path); err == nil {
		t.Error("Read of a truncated document returned no error")
	}
	if _, err := junit.Read(filepath.Join(t.TempDir(), "missing.xml")); err == nil {
		t.Error("Read of a missing file returned no error")
	}
}
