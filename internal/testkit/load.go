package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/loadgen"
)

// loadBinary is the load generator built once per test process (without the race detector).
var loadBinary struct {
	once sync.Once
	path string
	err  error
}

// Load is open-loop HTTP load (see internal/loadgen) running in a process of its own, built
// without the race detector: a test binary run with -race, on a busy machine, would send late and
// in bursts, and its connections would sit unanswered long enough for a draining server to close
// them. It runs at nice -10 where that is allowed. Start it with [StartLoad]; [Load.Stop] ends it
// and returns the counts.
type Load struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    bytes.Buffer
	errOut bytes.Buffer
	once   sync.Once
	res    loadgen.Result
	err    error
}

// StartLoad starts GET url at rate requests per second (half on keep-alive connections, half on a
// new connection each, 10 s timeout each) until [Load.Stop], which is also called when t ends.
func StartLoad(t testing.TB, url string, rate int) *Load {
	t.Helper()
	loadBinary.once.Do(func() {
		// One file for every test process, replaced atomically (a process running the old one
		// keeps it), so nothing is left behind per run; the compile itself is Go's build cache's.
		dir := filepath.Join(os.TempDir(), "grace-loadgen")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			loadBinary.err = err
			return
		}
		tmp := filepath.Join(dir, fmt.Sprintf("loadgen.%d.tmp", os.Getpid()))
		cmd := exec.Command("go", "build", "-o", tmp, "github.com/gracekit/grace/internal/loadgen/proc")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp)
			loadBinary.err = fmt.Errorf("build the load generator: %v\n%s", err, out)
			return
		}
		loadBinary.path = filepath.Join(dir, "loadgen")
		loadBinary.err = os.Rename(tmp, loadBinary.path)
	})
	if loadBinary.err != nil {
		t.Fatal(loadBinary.err)
	}
	// At a higher CPU priority than the rest of a busy machine (where allowed: as root), so that
	// the load keeps its schedule; nice runs it anyway if it cannot.
	l := &Load{cmd: exec.Command("nice", "-n", "-10", loadBinary.path, "-url", url, "-rate", fmt.Sprint(rate))}
	l.cmd.Stdout, l.cmd.Stderr = &l.out, &l.errOut
	var err error
	if l.stdin, err = l.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := l.cmd.Start(); err != nil {
		t.Fatalf("start the load generator: %v", err)
	}
	t.Cleanup(func() {
		if _, err := l.Stop(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// Stop ends the load, waits for the requests sent (each has its timeout) and returns the counts.
// It may be called more than once.
func (l *Load) Stop() (loadgen.Result, error) {
	l.once.Do(func() {
		l.stdin.Close()
		done := make(chan error, 1)
		go func() { done <- l.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				l.err = fmt.Errorf("load generator: %v\n%s", err, l.errOut.String())
				return
			}
		case <-time.After(time.Minute):
			l.cmd.Process.Kill()
			<-done
			l.err = fmt.Errorf("load generator did not stop within a minute")
			return
		}
		if err := json.Unmarshal(l.out.Bytes(), &l.res); err != nil {
			l.err = fmt.Errorf("load generator's result: %v\n%s", err, l.out.String())
		}
	})
	return l.res, l.err
}
