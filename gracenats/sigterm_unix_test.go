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

// TestSIGTERMChildProcess is the restart test across processes ([testkit.Ledger.ChildRuns]) for
// the consumer (childMain) on the real nats-server: every message is handled, no run handles
// more than one batch again — the SIGKILL among the signals included, after which what the dead
// child pulled comes back after a short ack wait — and the consumer is left settled.
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
