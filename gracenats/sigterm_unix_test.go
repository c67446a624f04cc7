//go:build unix

package gracenats_test

import (
	"os"
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
	signals := []os.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGTERM, syscall.SIGTERM}
	url := serverURL(t)
	// After the SIGKILL, what the dead child pulled comes back after the ack wait.
	stream, consumer := newStream(t, url, 2*time.Second)
	publishN(t, url, stream, n)
	outPath := filepath.Join(t.TempDir(), "handled")

	tl := testkit.NewLedger("message")
	env := []string{childEnv + "=" + url, childStream + "=" + stream, childConsumer + "=" + consumer, childOutEnv + "=" + outPath}
	tl.ChildRuns(t, n, outPath, signals, env, nil)
	tl.CheckLog(t, n, childBatch)
	t.Logf("child processes ended by %v", signals)
	settled(t, url, stream, consumer)
}
