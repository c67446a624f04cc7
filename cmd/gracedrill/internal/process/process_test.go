package process_test

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseSignal(t *testing.T) {
	for _, name := range []string{"TERM", "sigterm", " SIGINT ", "kill"} {
		if _, err := process.ParseSignal(name); err != nil {
			t.Errorf("ParseSignal(%q): %v", name, err)
		}
	}
	if _, err := process.ParseSignal("NOPE"); err == nil || !strings.Contains(err.Error(), "TERM") {
		t.Errorf("ParseSignal(NOPE) = %v, want an error listing the signals", err)
	}
}

func TestTailKeepsTheEnd(t *testing.T) {
	tail := process.NewTail(5)
	_, _ = tail.Write([]byte("hello "))
	_, _ = tail.Write([]byte("world"))
	if got := tail.String(); got != "world" {
		t.Fatalf("tail %q", got)
	}
}

func TestStartFailureAndExit(t *testing.T) {
	if _, err := process.Start([]string{"/nonexistent"}, nil, nil); err == nil {
		t.Fatal("no error starting a missing command")
	}
	p, err := process.Start([]string{"/bin/sh", "-c", "echo bye; exit 4"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if _, code, _ := p.Exit(); code != 4 {
		t.Fatalf("exit code %d", code)
	}
	if msg := p.ExitError("start").Error(); !strings.Contains(msg, "exit status 4") || !strings.Contains(msg, "bye") {
		t.Fatalf("ExitError: %s", msg)
	}
	p.Kill() // harmless after the exit
}
