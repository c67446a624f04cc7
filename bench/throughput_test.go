package bench

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// wrk settings: short runs, alternated between styles so the machine's drift spreads over all.
const (
	wrkRounds      = 4
	wrkDuration    = "1s"
	wrkThreads     = "2"
	wrkConnections = "50"
)

// BenchmarkThroughput: requests per second through each style's request path (GET /work, which
// answers "ok"), under wrk, against "bare" (a plain http.Server with the same handler and no
// lifecycle). Every style runs once per round, the rounds alternating the order bare, stdlib, fx, oklog,
// grace and once in reverse, and reports the mean of its two runs as STYLE-rps.
func BenchmarkThroughput(b *testing.B) {
	bin := wrkPath(b)
	rps := map[string][]float64{}
	for b.Loop() {
		svcs := map[string]*service{}
		for _, style := range withBare {
			svcs[style] = start(b, style)
		}
		// One discarded run per style first, so no style's measured runs include a cold start.
		for _, style := range withBare {
			if _, err := runWrk(bin, "http://"+svcs[style].addr+"/work"); err != nil {
				b.Fatalf("%s: warm-up: %v", style, err)
			}
		}
		order := append([]string(nil), withBare...)
		for round := range wrkRounds {
			for i := range order {
				style := order[i]
				if round%2 == 1 {
					style = order[len(order)-1-i]
				}
				r, err := runWrk(bin, "http://"+svcs[style].addr+"/work")
				if err != nil {
					b.Fatalf("%s: %v", style, err)
				}
				rps[style] = append(rps[style], r)
			}
		}
		for _, style := range styles {
			svcs[style].stop(b, 10*time.Second)
		}
	}
	for _, style := range withBare {
		sum := 0.0
		for _, r := range rps[style] {
			sum += r
		}
		b.ReportMetric(sum/float64(len(rps[style])), style+"-rps")
	}
	b.ReportMetric(0, "ns/op")
}

// wrkPath finds wrk or fails: the benchmark is never skipped.
func wrkPath(tb testing.TB) string {
	p, err := exec.LookPath("wrk")
	if err != nil {
		ci := ""
		if os.Getenv("CI") == "true" {
			ci = " (CI=true: scripts/deps installs it)"
		}
		tb.Fatalf("wrk not found on PATH: install the Debian package wrk%s", ci)
	}
	return p
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkErrors = regexp.MustCompile(`(Socket errors:.*|Non-2xx or 3xx responses:.*)`)
)

// runWrk runs one wrk and returns its requests per second; any socket error or non-2xx
// response is an error.
func runWrk(bin, url string) (float64, error) {
	out, err := exec.Command(bin, "-t", wrkThreads, "-c", wrkConnections, "-d", wrkDuration, url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if m := wrkErrors.FindSubmatch(out); m != nil {
		return 0, fmt.Errorf("wrk saw errors: %s\n%s", m[1], out)
	}
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk printed no Requests/sec:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
