package bench

import (
	"bufio"
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

// service is one running benchsvc process.
type service struct {
	style string
	cmd   *exec.Cmd
	addr  string
	lines chan string
	mu    sync.Mutex
	all   []string // every stdout and stderr line
	done  chan struct{}
	code  int
	// killedBy is set when the process died of a signal: it was not listening for it yet, or
	// it was killed at the limit.
	killedBy syscall.Signal
}

// start starts a style and waits until it says "ready".
func start(tb testing.TB, style string, args ...string) *service {
	tb.Helper()
	s, err := launch(tb, style, args...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// launch is start without tb.Fatal, for use from several goroutines. The process is killed at
// the end of the test if still running.
func launch(tb testing.TB, style string, args ...string) (*service, error) {
	cmd := exec.Command(binary(tb), append([]string{"-style", style}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &service{style: style, cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	var readers sync.WaitGroup
	for _, r := range []*bufio.Scanner{bufio.NewScanner(stdout), bufio.NewScanner(stderr)} {
		readers.Go(func() {
			for r.Scan() {
				s.mu.Lock()
				s.all = append(s.all, r.Text())
				s.mu.Unlock()
				select {
				case s.lines <- r.Text():
				default:
				}
			}
		})
	}
	go func() {
		readers.Wait()
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			s.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				s.killedBy = ws.Signal()
			}
		}
		close(s.done)
	}()
	tb.Cleanup(func() { cmd.Process.Kill(); <-s.done })
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case l := <-s.lines:
			if a, ok := strings.CutPrefix(l, "listening "); ok {
				s.addr = a
			}
			if l == "ready" {
				return s, nil
			}
		case <-s.done:
			return nil, fmt.Errorf("%s exited before ready: %q", style, s.output())
		case <-deadline.C:
			return nil, fmt.Errorf("%s never got ready: %q", style, s.output())
		}
	}
}

func (s *service) output() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.all...)
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
	s.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-s.done:
		if s.killedBy != 0 {
			return 0, true, fmt.Errorf("%s died of %v instead of handling it: %q", s.style, s.killedBy, s.output())
		}
		return time.Since(begin), true, nil
	case <-t.C:
		s.cmd.Process.Kill()
		<-s.done
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
