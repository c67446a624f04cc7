package gracefiber_test

import (
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/gracekit/grace/internal/testkit"
)

// rollout rolls two instances of the style behind a real HAProxy, restarts times, at rate
// req/s, and returns the drill's report. The test binary is the service (serviceMain).
func rollout(tb testing.TB, style string, rate, restarts int) testkit.DrillReport {
	tb.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		tb.Fatal("haproxy not found on PATH: install the Debian package haproxy (scripts/deps does)")
	}
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	r := testkit.Drill(tb, testkit.Gracedrill(tb, "../cmd/gracedrill"), []string{serviceEnv + "=1"}, "rollout",
		"--rate", strconv.Itoa(rate), "--duration", "3s", "--signal-at", "500ms",
		"--instances", "2", "--restarts", strconv.Itoa(restarts), "--lb-interval", "500ms", "--lb-fall", "2",
		"--req", "19:GET /work", "--req", "1:GET /work?ms=100",
		"--", self, "-style", style, "-addr", "127.0.0.1:{port}")
	if !r.Behind && len(r.Stops) != restarts {
		tb.Fatalf("%d of %d restarts happened: %v", len(r.Stops), restarts, r.Reasons)
	}
	return r
}

// Two gracefiber instances behind a real HAProxy, rolled twice under 1,000 req/s: not one
// request fails, and every instance exits 0 on its own.
func TestRolloutBehindHAProxyLosesNothing(t *testing.T) {
	var r testkit.DrillReport
	for range 3 { // a run where the drill fell behind the asked rate (busy machine) proves nothing
		if r = rollout(t, "gracefiber", 1000, 2); !r.Behind {
			break
		}
		t.Log("the drill fell behind the asked rate; trying again")
	}
	if r.Behind {
		t.Fatalf("the drill fell behind three times: the machine is too busy: %v", r.Reasons)
	}
	if r.Failed != 0 || r.Requests < 2000 {
		t.Errorf("%d of %d requests failed (%v): %v", r.Failed, r.Requests, r.FailedByKind, r.Reasons)
	}
	for i, st := range r.Stops {
		if st.Killed || st.ExitCode == nil || *st.ExitCode != 0 {
			t.Errorf("stop %d: killed %v, exit %v", i, st.Killed, st.ExitCode)
		}
	}
}
