package grace_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/testkit"
)

// BenchmarkStopPlan: 20 independent components whose stop takes 100 ms, stopped by grace
// (parallel) and one after another in reverse order (what fx's lifecycle does), in the same run.
func BenchmarkStopPlan(b *testing.B) {
	const n, each = 20, 100 * time.Millisecond
	stop := func(context.Context) error { time.Sleep(each); return nil }
	var graceTotal, seqTotal time.Duration
	for b.Loop() {
		app := newApp()
		for i := range n {
			app.Add(fmt.Sprintf("c%d", i), grace.StopFunc(stop), grace.Independent())
		}
		graceTotal += stopAndMeasure(app)

		begin := time.Now()
		for range n {
			stop(context.Background())
		}
		seqTotal += time.Since(begin)
	}
	b.ReportMetric(float64(graceTotal.Microseconds())/1000/float64(b.N), "grace-ms")
	b.ReportMetric(float64(seqTotal.Microseconds())/1000/float64(b.N), "sequential-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkStopWide: 10,000 independent components; the whole stop, and the memory each
// component costs through a run.
func BenchmarkStopWide(b *testing.B) {
	const n = 10_000
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	var stopTotal time.Duration
	var bytes uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		app := newApp()
		for _, name := range names {
			app.Add(name, grace.StopFunc(func(context.Context) error { return nil }), grace.Independent())
		}
		took := stopAndMeasure(app)
		runtime.ReadMemStats(&after)
		stopTotal += took
		bytes += after.TotalAlloc - before.TotalAlloc
	}
	b.ReportMetric(float64(stopTotal.Microseconds())/1000/float64(b.N), "stop-ms")
	b.ReportMetric(float64(bytes)/float64(b.N)/n, "bytes/component")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkIdleExit: SIGTERM to exit of an idle minimal service, measured from outside the
// process (the time from kill(2) to wait(2) returning), for grace and for the bare stdlib
// pattern (signal.Notify, then return from main), alternating in the same run: the medians of
// 25 exits each per b.N (one exit varies by a millisecond or more on a shared machine).
func BenchmarkIdleExit(b *testing.B) {
	measure := func(mode string) time.Duration {
		c := testkit.StartChildLines(b, idleEnv+"="+mode)
		c.ReadUntil(b, 20*time.Second, "ready", func(l string) bool { return l == "ready" })
		begin := time.Now()
		c.Signal(b, syscall.SIGTERM)
		if err := c.Wait(b, 20*time.Second); err != nil {
			b.Fatalf("%s: %v", mode, err)
		}
		return time.Since(begin)
	}
	var g, s []time.Duration
	for b.Loop() {
		for range 25 {
			g = append(g, measure("grace"))
			s = append(s, measure("stdlib"))
		}
	}
	gm, sm := median(g), median(s)
	b.ReportMetric(ms(gm), "grace-ms")
	b.ReportMetric(ms(sm), "stdlib-ms")
	b.ReportMetric(ms(gm-sm), "diff-ms")
	b.ReportMetric(0, "ns/op")
}

const idleEnv = "GRACE_IDLE_CHILD"

// idleMain is the child of BenchmarkIdleExit.
func idleMain(mode string) {
	switch mode {
	case "stdlib":
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		fmt.Println("ready")
		<-sig
		os.Exit(0)
	default:
		app := grace.New(grace.WithLogger(quiet))
		app.Add("noop", grace.Hook{})
		go func() { <-app.Await(grace.PhaseReady); fmt.Println("ready") }()
		app.Main()
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// stopAndMeasure runs app, stops it once ready, and returns the time from the stop request to
// Run's return — the whole stop, report included.
func stopAndMeasure(app *grace.App) time.Duration {
	stopped := make(chan time.Time, 1)
	go func() {
		<-app.Await(grace.PhaseReady)
		stopped <- time.Now()
		app.Stop("bench")
	}()
	app.Run(context.Background())
	return time.Since(<-stopped)
}
