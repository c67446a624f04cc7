package main

import (
	"strings"
	"testing"
)

// rolloutArgs is a short rollout: 2 instances, 2 restarts, HAProxy checking every 200 ms.
func rolloutArgs(t *testing.T, extra ...string) []string {
	return append([]string{"rollout", "--rate", "200", "--duration", "2s", "--signal-at", "500ms",
		"--lb-interval", "200ms", "--lb-fall", "2", "--instances", "2", "--restarts", "2",
		"--req", "9:GET /", "--req", "1:GET /slow?ms=150"}, extra...)
}

func TestRolloutGraceServerLosesNothing(t *testing.T) {
	t.Parallel()
	requireTool(t, "haproxy")
	res := gracedrillVouched(t, append(rolloutArgs(t), testServerCmd(t, "grace", "--drain", "1500ms", "--log-json", "-")...)...)
	r := res.report
	if res.code != exitPass || r.Failed != 0 || r.Verdict != "pass" {
		t.Fatalf("exit %d, failed %d (%v), verdict %q: want a clean pass", res.code, r.Failed, r.FailedByKind, r.Verdict)
	}
	if r.Service == nil || r.Service.Reports != 2 || r.Service.Lost != 0 || *r.Service.ExitCode != 0 {
		t.Errorf("service %+v: want the two restarted instances' own reports, read from their output", r.Service)
	}
	if len(r.Stops) != 2 {
		t.Fatalf("%d stops, want 2 (one per restart)", len(r.Stops))
	}
	for _, st := range r.Stops {
		if st.ExitCode == nil || *st.ExitCode != 0 || st.SignalToLBOut == nil || st.SignalToExit == nil || *st.SignalToLBOut >= *st.SignalToExit {
			t.Errorf("stop %+v: want HAProxy to take the instance out before it exits 0", st)
		}
	}
}

// Shutdown without a delay closes the listener while HAProxy still routes to the instance: its
// retries hit a closed port and the clients get 503s.
func TestRolloutShutdownWithoutDelayLosesRequests(t *testing.T) {
	t.Parallel()
	requireTool(t, "haproxy")
	res := gracedrill(t, append(rolloutArgs(t), testServerCmd(t, "nodelay")...)...)
	wantLoss(t, res, "5xx", "HAProxy's 503s")
	for _, reason := range res.report.Reasons {
		if len(reason) > 12 && reason[:12] == "HAProxy died" {
			t.Errorf("HAProxy died: %s", reason)
		}
	}
}

func TestRolloutInstanceDyingOnItsOwnFails(t *testing.T) {
	t.Parallel()
	requireTool(t, "haproxy")
	// The instances die 3 s after they start: long enough for HAProxy to come up on a busy
	// machine, before the first restart.
	args := []string{"rollout", "--rate", "100", "--duration", "4s", "--signal-at", "3500ms", "--lb-interval", "100ms",
		"--instances", "2", "--restarts", "1"}
	res := gracedrill(t, append(args, testServerCmd(t, "grace", "--drain", "200ms", "--die-after", "3s")...)...)
	r := res.report
	if res.code != exitFail || !strings.Contains(strings.Join(r.Reasons, "\n"), "exited on its own (exit status 5)") {
		t.Fatalf("exit %d, reasons %q", res.code, r.Reasons)
	}
}
