package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// styles are the four ways the same service is written (see cmd/benchsvc); withBare adds "bare",
// net/http with no lifecycle at all, the throughput baseline.
var (
	styles   = []string{"stdlib", "fx", "oklog", "grace"}
	withBare = append([]string{"bare"}, styles...)
)

// built builds each binary once per test binary.
type built struct {
	once sync.Once
	path string
	err  error
}

var (
	benchsvcBin   built
	gracedrillBin built
)

// build runs `go build` in dir (relative to this module) into a temporary directory.
func (b *built) build(tb testing.TB, dir, name string) string {
	tb.Helper()
	b.once.Do(func() {
		tmp, err := os.MkdirTemp("", name)
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(tmp, name)
		cmd := exec.Command("go", "build", "-o", b.path, ".")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", dir, err, out)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

func binary(tb testing.TB) string { return benchsvcBin.build(tb, "./cmd/benchsvc", "benchsvc") }

func gracedrill(tb testing.TB) string {
	return gracedrillBin.build(tb, "../cmd/gracedrill", "gracedrill")
}

// service is one running benchsvc process: a testkit child whose output (stdout and stderr,
// merged) is read line by line; it is killed at the end of the test if still running.
type service struct {
	*testkit.Child
	style string
	addr  string
}

// start starts a style and waits until it says "ready".
func start(tb testing.TB, style string, args ...string) *service {
	tb.Helper()
	s := &service{Child: testkit.StartProgram(tb, binary(tb), append([]string{"-style", style}, args...)), style: style}
	for _, l := range s.ReadUntil(tb, 20*time.Second, style+" to say ready", func(l string) bool { return l == "ready" }) {
		if a, ok := strings.CutPrefix(l, "listening "); ok {
			s.addr = a
		}
	}
	return s
}

func (s *service) output() []string { return s.Output() }

// exit waits for the exit and returns its code, and the signal that ended the process if one
// did: it was not listening for it yet, or it was killed at the limit.
func (s *service) exit() (code int, killedBy syscall.Signal) {
	var ee *exec.ExitError
	if errors.As(s.Err(), &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killedBy = ws.Signal()
		}
	}
	return code, killedBy
}

// stop sends SIGTERM and waits up to limit for the exit; it returns the time from the signal to
// the exit, and false if the process had to be killed at the limit.
func (s *service) stop(tb testing.TB, limit time.Duration) (time.Duration, bool) {
	tb.Helper()
	took, exited, err := s.terminate(limit)
	if err != nil {
		tb.Fatal(err)
	}
	return took, exited
}

// terminate is stop without tb.Fatal: an error when the process died of the signal instead of
// handling it.
func (s *service) terminate(limit time.Duration) (time.Duration, bool, error) {
	begin := time.Now()
	s.Send(syscall.SIGTERM)
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-s.Exited():
		if _, sig := s.exit(); sig != 0 {
			return 0, true, fmt.Errorf("%s died of %v instead of handling it: %q", s.style, sig, s.output())
		}
		return time.Since(begin), true, nil
	case <-t.C:
		if err := s.Kill(); err != nil {
			return limit, false, err
		}
		return limit, false, nil
	}
}

func (s *service) count(prefix string) int {
	n := 0
	for _, l := range s.output() {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func (s *service) mentions(word string) bool {
	for _, l := range s.output() {
		if strings.Contains(l, word) && !strings.HasPrefix(l, "closed ") {
			return true
		}
	}
	return false
}
