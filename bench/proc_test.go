package bench

import (
	"bufio"
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

// styles are the four ways the same service is written (see cmd/benchsvc).
var styles = []string{"stdlib", "fx", "oklog", "grace"}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/benchsvc once per test binary.
func binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "benchsvc")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "benchsvc")
		out, err := exec.Command("go", "build", "-o", binPath, "./cmd/benchsvc").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// service is one running benchsvc process.
type service struct {
	tb    testing.TB
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

func start(tb testing.TB, style string, args ...string) *service {
	tb.Helper()
	cmd := exec.Command(binary(tb), append([]string{"-style", style}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &service{tb: tb, style: style, cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
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
		if ee, ok := err.(*exec.ExitError); ok {
			s.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				s.killedBy = ws.Signal()
			}
		}
		close(s.done)
	}()
	tb.Cleanup(func() { cmd.Process.Kill(); <-s.done })
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l := <-s.lines:
			if a, ok := strings.CutPrefix(l, "listening "); ok {
				s.addr = a
			}
			if l == "ready" {
				return s
			}
		case <-s.done:
			tb.Fatalf("%s exited before ready: %v", style, s.output())
		case <-deadline:
			tb.Fatalf("%s never got ready", style)
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
func (s *service) stop(limit time.Duration) (time.Duration, bool) {
	begin := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.killedBy != 0 {
			s.tb.Fatalf("%s died of %v instead of handling it: %q", s.style, s.killedBy, s.output())
		}
		return time.Since(begin), true
	case <-time.After(limit):
		s.cmd.Process.Kill()
		<-s.done
		return limit, false
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
