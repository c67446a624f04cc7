package testkit

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Lines is a child's output read line by line as it is written: every line is kept, in order,
// and [Child.ReadUntil] reads them from where it last stopped. It is safe for concurrent use.
type Lines struct {
	mu    sync.Mutex
	all   []string
	part  []byte        // a line not ended yet
	next  int           // where ReadUntil goes on from
	more  chan struct{} // closed, then replaced, when a line arrives or the output ends
	ended bool
}

func newLines() *Lines { return &Lines{more: make(chan struct{})} }

// Write splits p into lines; it is the child's output writer (exec.Cmd.Stdout).
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	added := false
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		l.all = append(l.all, strings.TrimSuffix(string(l.part[:i]), "\r"))
		l.part = l.part[i+1:]
		added = true
	}
	if added {
		l.wakeLocked()
	}
	return len(p), nil
}

// end records that the output is over: a last line without a newline counts.
func (l *Lines) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.part) > 0 {
		l.all = append(l.all, string(l.part))
		l.part = nil
	}
	l.ended = true
	l.wakeLocked()
}

func (l *Lines) wakeLocked() {
	close(l.more)
	l.more = make(chan struct{})
}

func (l *Lines) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

// StartChildLines is [StartChild] with the child's standard output read line by line: see
// [Child.ReadUntil] and [Child.Output]. Its standard error is kept as StartChild keeps it.
func StartChildLines(t testing.TB, env ...string) *Child {
	t.Helper()
	c := &Child{cmd: exec.Command(os.Args[0], "-test.run=^$"), out: newLines()}
	c.cmd.Stdout, c.cmd.Stderr = c.out, &c.stderr
	c.start(t, "the test binary as a child", env)
	return c
}

// StartProgram starts the program at path with args, as [StartChild] starts the test binary
// (the test's environment plus env; killed and reaped when the test ends), with its standard
// output and standard error read, merged, line by line: see [Child.ReadUntil] and
// [Child.Output] (Stderr stays empty).
func StartProgram(t testing.TB, path string, args []string, env ...string) *Child {
	t.Helper()
	c := &Child{cmd: exec.Command(path, args...), out: newLines()}
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out // one writer: exec calls it from one goroutine at a time
	c.start(t, path, env)
	return c
}

// Output returns the lines the child wrote so far (see [StartChildLines], [StartProgram]).
func (c *Child) Output() []string { return c.out.lines() }

// ReadUntil reads the child's output lines from where the last ReadUntil stopped until one for
// which match is true, waiting at most d, and returns the lines read, that one last. If the
// output ends first (the child exited) or d passes, it fails t with what (the line awaited),
// the output and the standard error. For a child started with [StartChildLines] or
// [StartProgram].
func (c *Child) ReadUntil(t testing.TB, d time.Duration, what string, match func(line string) bool) []string {
	t.Helper()
	l := c.out
	timer := time.NewTimer(d)
	defer timer.Stop()
	var read []string
	for {
		l.mu.Lock()
		for l.next < len(l.all) {
			line := l.all[l.next]
			l.next++
			read = append(read, line)
			if match(line) {
				l.mu.Unlock()
				return read
			}
		}
		ended, more := l.ended, l.more
		l.mu.Unlock()
		if ended {
			t.Fatalf("child exited (%v) before %s; its output:\n%s%s", c.err, what, strings.Join(c.Output(), "\n"), c.stderrNote())
		}
		select {
		case <-more:
		case <-timer.C:
			t.Fatalf("waited %v for %s; the child's output:\n%s%s", d, what, strings.Join(c.Output(), "\n"), c.stderrNote())
		}
	}
}

// Send sends sig to the child and returns the error, if any: [Child.Signal] for a goroutine
// other than the test's.
func (c *Child) Send(sig os.Signal) error { return c.cmd.Process.Signal(sig) }

// Err returns how the child exited, as [Child.Wait] does, once [Child.Exited] is closed.
func (c *Child) Err() error {
	<-c.exited
	return c.err
}

func (c *Child) stderrNote() string {
	if s := c.Stderr(); s != "" {
		return fmt.Sprintf("\nits stderr:\n%s", s)
	}
	return ""
}
