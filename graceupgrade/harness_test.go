//go:build linux

package graceupgrade_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// becomeSubreaper makes the test process adopt the successors whose parents exit, so that it
// can reap them.
func becomeSubreaper() {
	const prSetChildSubreaper = 36
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// service is the helper server and its successors, seen through the lines they print.
type service struct {
	t      *testing.T
	cmd    *exec.Cmd
	plan   string
	dir    string
	stderr string

	mu      sync.Mutex
	lines   []string
	changed chan struct{}
	eof     chan struct{}

	first int    // the first process's PID
	addr  string // where every generation serves
	udp   string // every generation's UDP echo
	unix  string // every generation's unix socket
}

func startService(t *testing.T, env ...string) *service {
	t.Helper()
	dir := t.TempDir()
	s := &service{t: t, dir: dir, plan: filepath.Join(dir, "plan"), stderr: filepath.Join(dir, "stderr"),
		changed: make(chan struct{}), eof: make(chan struct{})}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errf, err := os.Create(s.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	s.cmd = exec.Command(os.Args[0], "-test.run=^$")
	s.unix = filepath.Join(dir, "http.sock")
	s.cmd.Env = append(os.Environ(), append([]string{roleVar + "=server", "GU_PLAN=" + s.plan, "GU_UNIX=" + s.unix}, env...)...)
	s.cmd.Stdout, s.cmd.Stderr = w, errf
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go s.read(r)
	t.Cleanup(s.cleanup)
	line := s.wait(15*time.Second, "the service to be ready", func(l string) bool { return strings.Contains(l, " ready addr=") })
	s.first = pidOf(line)
	s.addr = field(line, "addr")
	s.udp = field(line, "udp")
	return s
}

func (s *service) read(r *os.File) {
	defer close(s.eof)
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		s.mu.Lock()
		s.lines = append(s.lines, sc.Text())
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
}

// wait returns the first line that matches, waiting at most d for it.
func (s *service) wait(d time.Duration, what string, match func(string) bool) string {
	s.t.Helper()
	if l, ok := s.waitOK(d, match); ok {
		return l
	}
	s.t.Fatalf("waited %v for %s; output:\n%s", d, what, s.output())
	return ""
}

func (s *service) waitOK(d time.Duration, match func(string) bool) (string, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, l := range s.lines {
			if match(l) {
				s.mu.Unlock()
				return l, true
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-s.eof:
			s.mu.Lock()
			for _, l := range s.lines {
				if match(l) {
					s.mu.Unlock()
					return l, true
				}
			}
			s.mu.Unlock()
			return "", false
		case <-deadline.C:
			return "", false
		}
	}
}

// count returns how many lines match.
func (s *service) count(match func(string) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.lines {
		if match(l) {
			n++
		}
	}
	return n
}

// index returns the position of the first line that matches, or -1.
func (s *service) index(match func(string) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, l := range s.lines {
		if match(l) {
			return i
		}
	}
	return -1
}

func (s *service) output() string {
	s.mu.Lock()
	out := strings.Join(s.lines, "\n")
	s.mu.Unlock()
	b, _ := os.ReadFile(s.stderr)
	return out + "\nstderr:\n" + string(b)
}

func (s *service) setPlan(plan string) {
	s.t.Helper()
	if err := os.WriteFile(s.plan, []byte(plan), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func prefix(pid int, what string) func(string) bool {
	p := strconv.Itoa(pid) + " " + what
	return func(l string) bool { return strings.HasPrefix(l, p) }
}

func has(pid int, what string) func(string) bool {
	p := strconv.Itoa(pid) + " "
	return func(l string) bool { return strings.HasPrefix(l, p) && strings.Contains(l, what) }
}

// upgrade sends SIGHUP to pid, waits for its successor to be ready and returns its PID.
func (s *service) upgrade(pid int) int {
	s.t.Helper()
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		s.t.Fatal(err)
	}
	line := s.wait(20*time.Second, fmt.Sprintf("%d's successor to be ready", pid), prefix(pid, "event ready"))
	return atoi(field(line, "child"))
}

// exited waits for pid's exit line and returns its exit code.
func (s *service) exited(pid int, d time.Duration) int {
	s.t.Helper()
	line := s.wait(d, fmt.Sprintf("%d to exit", pid), prefix(pid, "exit code="))
	return atoi(field(line, "code"))
}

// cleanup stops whatever still runs: SIGTERM to every process seen, then SIGKILL; reaps them.
func (s *service) cleanup() {
	pids := s.pids()
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	select {
	case <-s.eof:
	case <-time.After(20 * time.Second):
		s.t.Errorf("processes still running 20 s after SIGTERM; output:\n%s", s.output())
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		<-s.eof
	}
	_ = s.cmd.Wait()
	for _, p := range pids {
		if p == s.first {
			continue
		}
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(p, &ws, syscall.WNOHANG, nil) // adopted orphans; the others were reaped by their parents
	}
	if s.t.Failed() {
		s.t.Logf("service output:\n%s", s.output())
	}
}

// pids lists every process that printed a line or was started as a successor.
func (s *service) pids() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[int]bool{}
	var out []int
	add := func(p int) {
		if p > 0 && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, l := range s.lines {
		add(pidOf(l))
		if strings.Contains(l, " event begin ") {
			add(atoi(field(l, "child")))
		}
	}
	return out
}

func pidOf(line string) int {
	f, _, _ := strings.Cut(line, " ")
	n, err := strconv.Atoi(f)
	if err != nil {
		return 0
	}
	return n
}

func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// load is open-loop HTTP load on the service, from processes of their own (testkit.StartLoad):
// nine requests in ten answered at once, one in ten after 200 ms, each half on keep-alive
// connections and half on new ones.
type load struct{ quick, slow *testkit.Load }

func startLoad(t *testing.T, addr string, rate int) *load {
	return &load{
		quick: testkit.StartLoad(t, "http://"+addr+"/", rate-rate/10),
		slow:  testkit.StartLoad(t, "http://"+addr+"/?d=200", rate/10),
	}
}

// finish stops the load, waits for the requests under way, and fails t unless every request
// succeeded. It returns how many responses each PID served.
func (l *load) finish(t *testing.T) map[string]int {
	t.Helper()
	served := map[string]int{}
	for _, g := range []*testkit.Load{l.quick, l.slow} {
		res, err := g.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() > 0 || res.OK == 0 {
			t.Errorf("%d of %d requests failed (refused %d, reset %d, eof %d, timeout %d, other %d, 5xx %d); e.g. %q",
				res.Failed(), res.Sent, res.Refused, res.Reset, res.EOF, res.Timeout, res.Other, res.Status5xx, res.Errors)
		}
		for pid, n := range res.Bodies {
			served[pid] += n
		}
	}
	t.Logf("served by %v", served)
	return served
}
