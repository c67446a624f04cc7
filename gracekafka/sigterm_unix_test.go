//go:build unix

package gracekafka_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

	counts := map[int]int{}
	var dups, handled []int
	lines := 0
	for run := range runs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(addrs, ","), childOutEnv+"="+outPath)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		before, d := lines, 0

		target := n * (run + 1) / runs // distinct records to reach before the signal
		if run == runs-1 {
			target = n
		}
		deadline := time.Now().Add(30 * time.Second)
		for distinct(counts) < target {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("run %d: %d distinct records handled after 30s, want %d; child stderr:\n%s", run, distinct(counts), target, stderr.String())
			}
			select {
			case err := <-exited:
				t.Fatalf("run %d: child exited early (%v):\n%s", run, err, stderr.String())
			case <-time.After(10 * time.Millisecond):
			}
			readNew(t, outPath, &lines, counts, &d)
		}
		sig := signals[run]
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if sig == syscall.SIGTERM && err != nil {
				t.Fatalf("run %d: child exited with %v after SIGTERM, want 0 (clean stop):\n%s", run, err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Fatalf("run %d: child still running 20s after SIGTERM:\n%s", run, stderr.String())
		}
		// Everything the child handled is in the file now.
		readNew(t, outPath, &lines, counts, &d)
		dups = append(dups, d)
		handled = append(handled, lines-before)
		if sig == syscall.SIGTERM {
			groupEmpty(t, cluster, childGroup)
		}
	}
	for v := range n {
		if counts[v] == 0 {
			t.Errorf("record %d never handled", v)
		}
	}
	total := 0
	for run, d := range dups {
		total += d
		if d > childMaxPoll {
			t.Errorf("run %d handled %d records again, more than one batch (%d)", run, d, childMaxPoll)
		}
	}
	if got := committed(cluster, childGroup); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
	t.Logf("records %d, child processes %d ended by %v, records handled per run %v, duplicates per run %v (total %d; bound %d per restart)",
		n, runs, signals, handled, dups, total, childMaxPoll)
}

func distinct(counts map[int]int) int { return len(counts) }

// readNew reads the lines of path after the first *lines, counts them, and adds to *dups the
// number of values handled before.
func readNew(t *testing.T, path string, lines *int, counts map[int]int, dups *int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return
		}
		t.Fatal(err)
	}
	all := strings.Split(string(b), "\n")
	all = all[:len(all)-1] // complete lines only
	for _, l := range all[*lines:] {
		v, err := strconv.Atoi(l)
		if err != nil {
			t.Fatalf("line %q in %s: %v", l, path, err)
		}
		if counts[v] > 0 {
			*dups++
		}
		counts[v]++
	}
	*lines = len(all)
}
