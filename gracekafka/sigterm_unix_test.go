//go:build unix

package gracekafka_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
	"github.com/twmb/franz-go/pkg/kfake"
)

// TestSIGTERMChildProcess runs the consumer as a separate process (this test binary, see
// childMain) under grace's real os/signal handling, sends it a real SIGTERM mid-stream, again and
// again, and checks the records it wrote: every record at least once, and no run handling more
// than one batch of records an earlier run had handled. Each child must exit 0 (a clean stop).
// One run is ended by SIGKILL instead — a crash, with no stop at all — to check the bound on what
// a crash makes the next run handle again.
func TestSIGTERMChildProcess(t *testing.T) {
	const n = 2000
	signals := []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGTERM, syscall.SIGTERM}
	runs := len(signals)
	// A short session timeout (the child asks for childSessionTimeout) lets the group move on
	// quickly from the member killed without leaving.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic), kfake.GroupMinSessionTimeout(childSessionTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addrs := cluster.ListenAddrs()
	produceN(t, addrs, n)
	outPath := filepath.Join(t.TempDir(), "handled")

	tl := testkit.NewLedger("record")
	for run := range runs {
		tl.NextRun()
		c := testkit.StartChild(t, childEnv+"="+strings.Join(addrs, ","), childOutEnv+"="+outPath)
		target := n * (run + 1) / runs // distinct records to reach before the signal
		if run == runs-1 {
			target = n
		}
		c.PollUntil(t, 30*time.Second, fmt.Sprintf("run %d: %d distinct records handled", run, target), func() bool {
			tl.ReadFile(t, outPath)
			return tl.Distinct() >= target
		})
		sig := signals[run]
		c.Signal(t, sig)
		if err := c.Wait(t, 20*time.Second); sig == syscall.SIGTERM && err != nil {
			t.Fatalf("run %d: child exited with %v after SIGTERM, want 0 (clean stop):\n%s", run, err, c.Stderr())
		}
		tl.ReadFile(t, outPath) // everything the child handled is in the file now
		if sig == syscall.SIGTERM {
			groupEmpty(t, cluster, childGroup)
		}
	}
	total := tl.Check(t, n, childMaxPoll)
	_, dups, handled, _ := tl.Snapshot()
	if got := committed(cluster, childGroup); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
	t.Logf("records %d, child processes %d ended by %v, records handled per run %v, duplicates per run %v (total %d; bound %d per restart)",
		n, runs, signals, handled, dups, total, childMaxPoll)
}
