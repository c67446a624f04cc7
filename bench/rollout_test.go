package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Rollout settings. HAProxy checks /readyz every rolloutInterval (gracedrill's default) and
// takes a server out after rolloutFall failures, so a server that turns not ready leaves the
// rotation within interval × fall plus up to one interval before the first failing check; grace's
// drain delay covers that, and its quiet period ends the delay once HAProxy stopped sending.
const (
	rolloutInterval    = "500ms"
	rolloutFall        = "2"
	rolloutDrainDelay  = "1500ms" // ≥ 500 ms × 2 + 500 ms
	rolloutQuietPeriod = "250ms"
	rolloutInstances   = "2"
	rolloutRestarts    = 3
)

// rolloutReport is the part of gracedrill's --json output read here.
type rolloutReport struct {
	Requests     int            `json:"requests"`
	Failed       int            `json:"failed"`
	FailedByKind map[string]int `json:"failed_by_kind"`
	Behind       bool           `json:"behind"`
	Stops        []struct {
		ExitCode *int `json:"exit_code"`
		Killed   bool `json:"killed"`
	} `json:"stops"`
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons"`
}

// BenchmarkRollout: gracedrill rollout — two instances behind a real HAProxy, three rolling
// restarts — at 1,000 and 5,000 req/s of GET /work (one request in 20 takes 100 ms). Reports
// per style and rate the requests that failed (STYLE-failed-RATE) and those sent
// (STYLE-sent-RATE). Only grace gets a drain delay (and flips readiness): the others are run as
// their users run them. A run in which the drill fell behind the asked rate is tried again.
func BenchmarkRollout(b *testing.B) {
	drill, svc := gracedrill(b), binary(b)
	if _, err := exec.LookPath("haproxy"); err != nil {
		b.Fatal("haproxy not found on PATH: install the Debian package haproxy (scripts/deps does)")
	}
	for b.Loop() {
		for _, rate := range []int{1000, 5000} {
			for _, style := range styles {
				r := rollout(b, drill, svc, style, rate)
				b.ReportMetric(float64(r.Failed), fmt.Sprintf("%s-failed-%d", style, rate))
				b.ReportMetric(float64(r.Requests), fmt.Sprintf("%s-sent-%d", style, rate))
			}
		}
	}
	b.ReportMetric(0, "ns/op")
}

// rolloutAttempts is how often a rollout is tried when the drill fell behind the asked rate (the
// machine was too busy): such a run proves nothing, for any style.
const rolloutAttempts = 3

func rollout(tb testing.TB, drill, svc, style string, rate int) rolloutReport {
	tb.Helper()
	var r rolloutReport
	for range rolloutAttempts {
		if r = rolloutOnce(tb, drill, svc, style, rate); !r.Behind {
			break
		}
		tb.Logf("%s at %d req/s: the drill fell behind; trying again", style, rate)
	}
	if r.Behind {
		tb.Fatalf("%s at %d req/s: the drill fell behind the asked rate %d times: the machine is too busy to measure: %v", style, rate, rolloutAttempts, r.Reasons)
	}
	return r
}

func rolloutOnce(tb testing.TB, drill, svc, style string, rate int) rolloutReport {
	tb.Helper()
	jsonPath := filepath.Join(tb.TempDir(), "drill.json")
	args := []string{"rollout", "--rate", strconv.Itoa(rate), "--duration", "3s", "--signal-at", "500ms",
		"--instances", rolloutInstances, "--restarts", strconv.Itoa(rolloutRestarts),
		"--lb-interval", rolloutInterval, "--lb-fall", rolloutFall,
		"--req", "19:GET /work", "--req", "1:GET /work?ms=100", "--json", jsonPath, "--quiet",
		"--", svc, "-style", style, "-addr", "127.0.0.1:{port}", "-budget", "5s"}
	if style == "grace" {
		args = append(args, "-drain-delay", rolloutDrainDelay, "-quiet-period", rolloutQuietPeriod)
	}
	out, err := exec.Command(drill, args...).CombinedOutput()
	// Exit status 1 is the drill's FAIL (requests lost); the JSON says whether it could run.
	raw, rerr := os.ReadFile(jsonPath)
	if rerr != nil {
		tb.Fatalf("%s at %d req/s: gracedrill wrote no JSON (%v): %v\n%s", style, rate, rerr, err, out)
	}
	var r rolloutReport
	if err := json.Unmarshal(raw, &r); err != nil {
		tb.Fatalf("%s at %d req/s: gracedrill JSON: %v", style, rate, err)
	}
	if r.Behind {
		return r
	}
	if len(r.Stops) != rolloutRestarts {
		tb.Fatalf("%s at %d req/s: %d of %d restarts happened: %v\n%s", style, rate, len(r.Stops), rolloutRestarts, r.Reasons, out)
	}
	for _, st := range r.Stops {
		if st.Killed || st.ExitCode == nil || *st.ExitCode != 0 {
			tb.Fatalf("%s at %d req/s: an instance did not exit 0 on its own: %v\n%s", style, rate, r.Reasons, out)
		}
	}
	return r
}
