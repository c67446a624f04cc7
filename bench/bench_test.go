package bench

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The benchmarks measure the four styles of cmd/benchsvc in one run, from outside the process.
// Each reports one metric per style, named STYLE-UNIT, so scripts/benchtable.py can put grace
// against each baseline. Run with -benchtime 1x; each iteration already repeats its measurement.

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p * float64(len(s)-1))
	return s[i]
}

// BenchmarkStop20: 20 independent components whose stop takes 100 ms, then SIGTERM; time from
// the signal to the exit.
func BenchmarkStop20(b *testing.B) {
	for b.Loop() {
		for _, style := range styles {
			s := start(b, style, "-components", "20", "-stop-each", "100ms", "-budget", "10s")
			took, exited := s.stop(15 * time.Second)
			if !exited || s.count("closed ") != 20 {
				b.Fatalf("%s: exited %v, closed %d of 20: %q", style, exited, s.count("closed "), s.output())
			}
			b.ReportMetric(ms(took), style+"-ms")
		}
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkIdleExit: SIGTERM to exit of the idle service, no components.
func BenchmarkIdleExit(b *testing.B) {
	times := map[string][]time.Duration{}
	for b.Loop() {
		for range 5 {
			for _, style := range styles {
				s := start(b, style)
				took, exited := s.stop(10 * time.Second)
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

// BenchmarkHung: five components, the first to be stopped hangs forever; a 2 s budget. Reports
// per style the time to exit (the process is killed at 10 s), how many of the other four
// components closed, and whether the output names the hung one.
func BenchmarkHung(b *testing.B) {
	for b.Loop() {
		for _, style := range styles {
			s := start(b, style, "-components", "5", "-hang", "-budget", "2s")
			took, _ := s.stop(10 * time.Second)
			named := 0.0
			if s.mentions("component-04") {
				named = 1
			}
			b.ReportMetric(ms(took), style+"-exit-ms")
			b.ReportMetric(float64(s.count("closed ")), style+"-closed-of-4")
			b.ReportMetric(named, style+"-named")
		}
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkDrainTail: one request in flight (ending 10–300 ms after the signal), then SIGTERM;
// the service prints the time from the response's end to its server stop returning. p50 and
// p99 over 30 drains per style per iteration.
func BenchmarkDrainTail(b *testing.B) {
	tails := map[string][]time.Duration{}
	for b.Loop() {
		for i := range 30 {
			for _, style := range styles {
				s := start(b, style)
				respMs := 10 + (i*97)%290 // spread over the range, deterministic
				done := make(chan error, 1)
				go func() {
					resp, err := http.Get(fmt.Sprintf("http://%s/work?ms=%d", s.addr, respMs))
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode != 200 {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					done <- err
				}()
				time.Sleep(5 * time.Millisecond) // let the request reach the handler
				s.stop(10 * time.Second)
				if err := <-done; err != nil {
					b.Fatalf("%s: in-flight request failed: %v", style, err)
				}
				var tail time.Duration
				for _, l := range s.output() {
					if v, ok := strings.CutPrefix(l, "drain-tail "); ok {
						n, _ := strconv.ParseInt(v, 10, 64)
						tail = time.Duration(n)
					}
				}
				tails[style] = append(tails[style], tail)
			}
		}
	}
	for _, style := range styles {
		b.ReportMetric(ms(percentile(tails[style], 0.5)), style+"-p50-ms")
		b.ReportMetric(ms(percentile(tails[style], 0.99)), style+"-p99-ms")
	}
	b.ReportMetric(0, "ns/op")
}
