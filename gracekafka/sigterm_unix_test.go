//go:build unix

package gracekafka_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

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
	signals := []os.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGTERM, syscall.SIGTERM}
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
	env := []string{childEnv + "=" + strings.Join(addrs, ","), childOutEnv + "=" + outPath}
	tl.ChildRuns(t, n, outPath, signals, env, func(_ int, sig os.Signal) {
		if sig == syscall.SIGTERM {
			groupEmpty(t, cluster, childGroup)
		}
	})
	tl.CheckLog(t, n, childMaxPoll)
	t.Logf("child processes ended by %v", signals)
	if got := committed(cluster, childGroup); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
}
