//go:build linux

package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/gracekit/grace/internal/testkit"
)

// upgradeStyles are the ways cmd/upgradesvc restarts in place on SIGHUP.
var upgradeStyles = []string{"grace", "gracesequential", "tableflip", "restart"}

var upgradesvcBin built

func upgradesvc(tb testing.TB) string {
	return upgradesvcBin.build(tb, "./cmd/upgradesvc", "upgradesvc")
}

// upgradeDrillReport is the part of gracedrill upgrade's --json output read here.
type upgradeDrillReport struct {
	Requests     int                `json:"requests"`
	Failed       int                `json:"failed"`
	FailedByKind map[string]int     `json:"failed_by_kind"`
	Behind       bool               `json:"behind"`
	LatencyMS    map[string]float64 `json:"latency_ms"`
	Upgrades     []struct {
		Outcome string   `json:"outcome"`
		GoneMS  *float64 `json:"signal_to_parent_gone_ms"`
	} `json:"upgrades"`
	Reasons []string `json:"reasons"`
}

// upgradeDrill runs gracedrill upgrade on one style: n upgrades at rate, half the load on
// keep-alive connections and half on new ones. The drill takes a successor as ready when the
// style's PID file names it (what a supervisor watching PIDFile= sees), the same for every
// style. A run in which the drill fell behind the asked rate is tried again, at most 3 times.
func upgradeDrill(tb testing.TB, drill, svc, style string, rate, n int) upgradeDrillReport {
	tb.Helper()
	var r upgradeDrillReport
	for range rolloutAttempts {
		dir := tb.TempDir()
		jsonPath, pidFile := filepath.Join(dir, "drill.json"), filepath.Join(dir, "svc.pid")
		args := []string{"upgrade", "--url", "http://" + testkit.ClosedAddr(tb), "--rate", strconv.Itoa(rate), "--upgrades", strconv.Itoa(n),
			"--every", "300ms", "--warmup", "500ms", "--after", "500ms", "--upgrade-timeout", "20s", "--budget", "15s",
			"--pid-file", pidFile, "--json", jsonPath, "--quiet",
			"--", svc, "-style", style, "-addr", "127.0.0.1:{port}", "-pid-file", pidFile}
		out, err := exec.Command(drill, args...).CombinedOutput()
		raw, rerr := os.ReadFile(jsonPath)
		if rerr != nil {
			tb.Fatalf("%s at %d req/s: gracedrill wrote no JSON (%v): %v\n%s", style, rate, rerr, err, out)
		}
		r = upgradeDrillReport{}
		if err := json.Unmarshal(raw, &r); err != nil {
			tb.Fatalf("%s at %d req/s: gracedrill JSON: %v", style, rate, err)
		}
		if len(r.Upgrades) != n {
			tb.Fatalf("%s at %d req/s: %d of %d upgrades happened: %v\n%s", style, rate, len(r.Upgrades), n, r.Reasons, out)
		}
		for i, u := range r.Upgrades {
			if u.Outcome != "ready" {
				tb.Fatalf("%s at %d req/s: upgrade %d: %s: %v\n%s", style, rate, i+1, u.Outcome, r.Reasons, out)
			}
		}
		if !r.Behind {
			break
		}
		tb.Logf("%s at %d req/s: the drill fell behind; trying again", style, rate)
	}
	if r.Behind {
		tb.Logf("%s at %d req/s: the drill still fell behind the asked rate: figures from a busy machine", style, rate)
	}
	return r
}

// medianGone is the median over the upgrades of signal → old process exited, in milliseconds.
func (r upgradeDrillReport) medianGone() float64 {
	var ms []float64
	for _, u := range r.Upgrades {
		if u.GoneMS != nil {
			ms = append(ms, *u.GoneMS)
		}
	}
	if len(ms) == 0 {
		return -1
	}
	sort.Float64s(ms)
	return ms[len(ms)/2]
}

// BenchmarkUpgrade: gracedrill upgrade — one instance, no load balancer, 10 upgrades by
// SIGHUP — at 1,000 and 5,000 req/s for each style of cmd/upgradesvc (grace in overlap and in
// sequential mode, tableflip in its documented idiom, stop-then-start). Reports per style and
// rate the requests that failed (STYLE-failed-RATE), the latency p99 over the whole run
// (STYLE-p99-ms-RATE) and the median over the upgrades of the time from the signal until the old
// process had exited (STYLE-handover-ms-RATE).
func BenchmarkUpgrade(b *testing.B) {
	drill, svc := gracedrill(b), upgradesvc(b)
	for b.Loop() {
		for _, rate := range []int{1000, 5000} {
			for _, style := range upgradeStyles {
				r := upgradeDrill(b, drill, svc, style, rate, 10)
				b.ReportMetric(float64(r.Failed), fmt.Sprintf("%s-failed-%d", style, rate))
				b.ReportMetric(r.LatencyMS["p99"], fmt.Sprintf("%s-p99-ms-%d", style, rate))
				b.ReportMetric(r.medianGone(), fmt.Sprintf("%s-handover-ms-%d", style, rate))
			}
		}
	}
	b.ReportMetric(0, "ns/op")
}

// TestUpgradeStyles keeps cmd/upgradesvc working: each style goes through two upgrades under
// light load, and the grace styles lose nothing.
func TestUpgradeStyles(t *testing.T) {
	drill, svc := gracedrill(t), upgradesvc(t)
	for _, style := range upgradeStyles {
		t.Run(style, func(t *testing.T) {
			r := upgradeDrill(t, drill, svc, style, 200, 2)
			if (style == "grace" || style == "gracesequential") && r.Failed != 0 {
				t.Errorf("%d requests failed: %v", r.Failed, r.FailedByKind)
			}
		})
	}
}
