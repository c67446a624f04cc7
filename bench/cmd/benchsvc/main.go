// Command benchsvc is the same small service written four ways — the seed's stdlib pattern,
// uber-go/fx lifecycle hooks, oklog/run, and grace — so the benchmarks in package bench can
// measure them side by side from outside the process — plus "bare", a plain http.Server with no
// lifecycle at all, the throughput baseline. Each style serves HTTP (/work, /readyz; grace also
// /livez, from gracehttp's health handler, and its /readyz turns 503 while it drains), runs
// -components background components whose stop takes -stop-each (one of them hangs forever
// with -hang), prints "ready" once it serves, and prints "closed NAME" as each component closes.
//
// Each style is written the way its documentation shows: no style is handicapped on purpose.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

type config struct {
	style      string
	addr       string
	components int
	stopEach   time.Duration
	hang       bool
	budget     time.Duration
	drainDelay time.Duration
	quiet      time.Duration
}

func main() {
	var c config
	fs := flag.NewFlagSet("benchsvc", flag.ContinueOnError)
	fs.StringVar(&c.style, "style", "grace", "bare, stdlib, fx, fxgrace, oklog or grace")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:0", "listen address")
	fs.IntVar(&c.components, "components", 0, "background components")
	fs.DurationVar(&c.stopEach, "stop-each", 0, "how long each component's stop takes")
	fs.BoolVar(&c.hang, "hang", false, "make the middle component's stop hang forever (a sequential stop in reverse order reaches it after half the others)")
	fs.DurationVar(&c.budget, "budget", 2*time.Second, "stop budget (stdlib: Shutdown timeout; fx: StopTimeout)")
	fs.DurationVar(&c.drainDelay, "drain-delay", 0, "drain delay (grace only: the others have none)")
	fs.DurationVar(&c.quiet, "quiet-period", 0, "grace only: end the drain delay once no request arrived for this long (0: off)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if c.components < 0 || c.stopEach < 0 || c.budget <= 0 || c.drainDelay < 0 || c.quiet < 0 {
		fmt.Fprintln(os.Stderr, "benchsvc: -components, -stop-each, -drain-delay and -quiet-period must not be negative; -budget must be positive")
		os.Exit(2)
	}
	run := map[string]func(config) int{"bare": plainStyle(runBare), "stdlib": plainStyle(runStdlib), "fx": runFx, "fxgrace": runFxGrace, "oklog": plainStyle(runOklog), "grace": runGrace}[c.style]
	if run == nil {
		fmt.Fprintf(os.Stderr, "benchsvc: unknown -style %q (want bare, stdlib, fx, fxgrace, oklog or grace)\n", c.style)
		os.Exit(2)
	}
	os.Exit(run(c))
}
