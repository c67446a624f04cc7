//go:build unix

package graceamqp_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gracekit/grace/internal/testkit"
)

// TestSIGTERMChildProcess runs the consumer as a separate process (this test binary, see
// childMain) under grace's real os/signal handling and sends it a real SIGTERM mid-stream, again
// and again: every message handled, none twice. One run is ended by SIGKILL instead — a crash,
// with no stop — after which the next run handles again at most a prefetch of messages (those
// handled whose acks the broker never got).
func TestSIGTERMChildProcess(t *testing.T) {
	const n = 2000
	signals := []os.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGTERM}
	url, a, q := queueOf(t, n)
	out := filepath.Join(t.TempDir(), "handled")

	tl := testkit.NewLedger("message")
	env := []string{childEnv + "=" + url, childQueue + "=" + q, childOut + "=" + out}
	tl.ChildRuns(t, n, out, signals, env, nil)
	total := tl.Check(t, n, childPrefetch)
	_, dups, handled, _ := tl.Snapshot()
	for run := range dups {
		if (run == 0 || signals[run-1] != syscall.SIGKILL) && dups[run] != 0 {
			t.Errorf("run %d, after a SIGTERM, handled %d messages again; want 0", run, dups[run])
		}
	}
	a.waitReady(t, q, 0)
	t.Logf("messages %d, children ended by %v, handled per run %v, duplicates per run %v (total %d; bound %d after the SIGKILL)",
		n, signals, handled, dups, total, childPrefetch)
}
