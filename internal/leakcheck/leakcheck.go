// Package leakcheck fails a test binary whose tests leave goroutines running. It is the
// standard-library-only stand-in for a goroutine-leak checker, for the root module's packages.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Wait is how long Check waits for goroutines to end before it calls them leaked.
const Wait = 5 * time.Second

// Main runs the tests, then fails the binary if goroutines other than the runtime's and the
// testing package's are still alive after Wait. Use it as TestMain: func TestMain(m *testing.M) { leakcheck.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := Leaked(Wait); leaked != "" {
			fmt.Fprintf(os.Stderr, "leakcheck: goroutines still running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// Leaked waits up to wait for stray goroutines to end and returns the stacks of those left, or "".
func Leaked(wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		stray := stray()
		if len(stray) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(stray, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Check fails t if goroutines started during the test are still running after Wait: call it
// with defer at the top of a test that must not leak.
func Check(t testing.TB) {
	t.Helper()
	if leaked := Leaked(Wait); leaked != "" {
		t.Errorf("goroutines still running:\n%s", leaked)
	}
}

func stray() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	self := true
	for _, g := range strings.Split(string(buf), "\n\n") {
		if self { // the first is the calling goroutine
			self = false
			continue
		}
		if ignorable(g) {
			continue
		}
		out = append(out, g)
	}
	return out
}

// ignorable reports whether a goroutine belongs to the runtime or the testing package: signal
// delivery, the test timeout alarm, and tests waiting for their subtests.
func ignorable(stack string) bool {
	for _, s := range []string{
		"os/signal.signal_recv",
		"os/signal.loop",
		"runtime.ensureSigM",
		"testing.(*M).startAlarm",
		"testing.(*T).Run(",
		"testing.(*T).Parallel(",
		"testing.(*M).Run(",
		"testing.runTests(",
		"testing.runFuzzing(",
		"testing.tRunner.func1(", // a finished test's cleanup reporting
	} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}
