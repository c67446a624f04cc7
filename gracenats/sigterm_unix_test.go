//go:build unix

package gracenats_test

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// TestSIGTERMChildProcess runs the consumer as a separate process (this test binary, see
// childMain) under grace's real os/signal handling, sends it a real SIGTERM mid-stream, again and
// again, and checks the messages it wrote: every message at least once, and no run handling more
// than one batch of messages an earlier run had handled. Each child must exit 0 (a clean stop).
// One run is ended by SIGKILL instead — a crash, with no stop at all — to measure what a crash
// makes the next runs handle again.
func TestSIGTERMChildProcess(t *testing.T) {
	const n = 2000
	signals := []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGTERM, syscall.SIGTERM}
	runs := len(signals)
	url := serverURL(t)
	// After the SIGKILL, what the dead child pulled comes back after the ack wait.
	stream, consumer := newStream(t, url, 2*time.Second)
	publishN(t, url, stream, n)
	outPath := filepath.Join(t.TempDir(), "handled")

	tl := testkit.NewLedger("message")
	for run := range runs {
		tl.NextRun()
		c := testkit.StartChild(t, childEnv+"="+url, childStream+"="+stream, childConsumer+"="+consumer, childOutEnv+"="+outPath)
		target := n * (run + 1) / runs // distinct messages to reach before the signal
		if run == runs-1 {
			target = n
		}
		c.PollUntil(t, 30*time.Second, fmt.Sprintf("run %d: %d distinct messages handled", run, target), func() bool {
			tl.ReadFile(t, outPath)
			return tl.Distinct() >= target
		})
		sig := signals[run]
		c.Signal(t, sig)
		if err := c.Wait(t, 20*time.Second); sig == syscall.SIGTERM && err != nil {
			t.Fatalf("run %d: child exited with %v after SIGTERM, want 0 (clean stop):\n%s", run, err, c.Stderr())
		}
		tl.ReadFile(t, outPath) // everything the child handled is in the file now
	}
	total := tl.Check(t, n, childBatch)
	_, dups, handled, _ := tl.Snapshot()
	settled(t, url, stream, consumer)
	t.Logf("messages %d, child processes %d ended by %v, messages handled per run %v, duplicates per run %v (total %d; bound %d per restart)",
		n, runs, signals, handled, dups, total, childBatch)
}
