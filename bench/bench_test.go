package bench

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The benchmarks measure the styles of cmd/benchsvc in one run, from outside the process. Each
// reports one metric per style, named STYLE-UNIT, so scripts/benchtable.py can put grace against
// each baseline. Run with -benchtime 1x; each iteration already repeats its measurement. What
// each measures and how fair it is to each style: README.md.

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// percentile is the nearest-rank percentile p (0 < p ≤ 1) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// BenchmarkStop20: 20 independent components whose stop takes 100 ms, then SIGTERM; time from
// the signal to the exit.
func BenchmarkStop20(b *testing.B) {
	for b.Loop() {
		for _, style := range styles {
			s := start(b, style, "-components", "20", "-stop-each", "100ms", "-budget", "10s")
			took, exited := s.stop(b, 15*time.Second)
			if !exited || s.count("closed ") != 20 {
				b.Fatalf("%s: exited %v, closed %d of 20: %q", style, exited, s.count("closed "), s.output())
			}
			b.ReportMetric(ms(took), style+"-ms")
		}
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkIdleExit: SIGTERM to exit of the idle service, no components; the median of 5 per
// style per iteration.
func BenchmarkIdleExit(b *testing.B) {
	times := map[string][]time.Duration{}
	for b.Loop() {
		for range 5 {
			for _, style := range styles {
				s := start(b, style)
				took, exited := s.stop(b, 10*time.Second)
				if !exited {
					b.Fatalf("%s did not exit", style)
				}
				times[style] = append(times[style], took)
			}
		}
	}
	for _, style := range styles {
		b.ReportMetric(ms(median(times[style])), style+"-ms")
	}
	b.ReportMetric(0, "ns/op")
}

// hungLimit is how long BenchmarkHung waits for an exit before killing the process (an
// orchestrator's SIGKILL): a style that never exits reports it as its exit time.
const hungLimit = 5 * time.Second

// BenchmarkHung: five components, the middle one's stop hangs forever (ignoring its context);
// a 2 s budget. Reports per style the time to exit (the process is killed at hungLimit), how many
// of the other four components closed, and whether the output names the hung one.
//
// It also runs "fxgrace": the fx style's app wired through gracefx, whose report names each hook
// after the function that appended it and its rank — the hung one, third appended, is
// "main.fxService.hooks#3".
func BenchmarkHung(b *testing.B) {
	hungName := map[string]string{"fxgrace": "main.fxService.hooks#3"}
	for b.Loop() {
		for _, style := range append(slices.Clone(styles), "fxgrace") {
			s := start(b, style, "-components", "5", "-hang", "-budget", "2s")
			took, _ := s.stop(b, hungLimit)
			named := 0.0
			name := cmp.Or(hungName[style], "component-02")
			if s.mentions(name) {
				named = 1
			}
			b.ReportMetric(ms(took), style+"-exit-ms")
			b.ReportMetric(float64(s.count("closed ")), style+"-closed-of-4")
			b.ReportMetric(named, style+"-named")
		}
	}
	b.ReportMetric(0, "ns/op")
}

// drainRounds is how many drains BenchmarkDrainTail does per style per iteration.
const drainRounds = 100

// BenchmarkDrainTail: one request in flight, ending 10–300 ms after the signal, then SIGTERM;
// the service prints the time from the response's end to its server stop returning. p50 and p99
// over drainRounds drains per style per iteration. In each round the four styles drain at the
// same time, with the same request duration, so the machine's noise falls on all of them alike.
func BenchmarkDrainTail(b *testing.B) {
	client := &http.Client{Transport: &http.Transport{}}
	b.Cleanup(client.CloseIdleConnections)
	tails := map[string][]time.Duration{}
	for b.Loop() {
		for i := range drainRounds {
			respMs := 10 + (i*97)%290 // spread over the range, deterministic
			svcs := make([]*service, len(styles))
			for j, style := range styles {
				svcs[j] = start(b, style)
			}
			got := make([]time.Duration, len(styles))
			errs := make([]error, len(styles))
			var wg sync.WaitGroup
			for j, s := range svcs {
				wg.Go(func() { got[j], errs[j] = drainOnce(client, s, respMs) })
			}
			wg.Wait()
			for j, style := range styles {
				if errs[j] != nil {
					b.Fatal(errs[j])
				}
				tails[style] = append(tails[style], got[j])
			}
		}
	}
	for _, style := range styles {
		b.ReportMetric(ms(percentile(tails[style], 0.5)), style+"-p50-ms")
		b.ReportMetric(ms(percentile(tails[style], 0.99)), style+"-p99-ms")
	}
	b.ReportMetric(0, "ns/op")
}

// drainOnce sends /work?ms=respMs; once the response's headers arrived (the handler runs) it
// sends SIGTERM, reads the body, waits for the exit and returns the drain tail the service
// printed.
func drainOnce(client *http.Client, s *service, respMs int) (time.Duration, error) {
	resp, err := client.Get(fmt.Sprintf("http://%s/work?ms=%d", s.addr, respMs))
	if err != nil {
		return 0, fmt.Errorf("%s: request: %v", s.style, err)
	}
	_, exited, err := s.terminate(10 * time.Second)
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return 0, err
	case !exited:
		return 0, fmt.Errorf("%s: did not exit within 10 s of SIGTERM: %q", s.style, s.output())
	case rerr != nil || string(body) != "ok\n":
		return 0, fmt.Errorf("%s: in-flight request cut: %q, %v", s.style, body, rerr)
	}
	for _, l := range s.output() {
		if v, ok := strings.CutPrefix(l, "drain-tail "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: bad drain-tail line %q", s.style, l)
			}
			return time.Duration(n), nil
		}
	}
	return 0, fmt.Errorf("%s: no drain-tail line: %q", s.style, s.output())
}
