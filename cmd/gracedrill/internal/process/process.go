// Package process starts a service under test in its own process group, signals it, and
// always reaps it and everything it started.
package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gracekit/grace/internal/chans"
)

// DefaultWaitDelay bounds how long Wait waits for the service's output pipes after it exited
// (a grandchild may hold them).
const DefaultWaitDelay = 2 * time.Second

// ErrNotStarted is returned by Start when the command cannot be started.
var ErrNotStarted = errors.New("service did not start")

// Process is a running service. Its methods are safe for concurrent use.
type Process struct {
	cmd  *exec.Cmd
	tail *Tail
	done chan struct{}

	mu       sync.Mutex
	exitedAt time.Time
	code     int
	state    string
}

// Start starts argv with the drill's environment plus env, in a new process group. The service's
// output goes to out (may be nil) and its last lines are kept for error messages.
func Start(argv []string, env []string, out io.Writer) (*Process, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("%w: no command given after --", ErrNotStarted)
	}
	tail := NewTail(4096)
	var w io.Writer = tail
	if out != nil {
		w = io.MultiWriter(tail, out)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = newGroupAttr()
	cmd.WaitDelay = DefaultWaitDelay
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotStarted, argv[0], err)
	}
	p := &Process{cmd: cmd, tail: tail, done: make(chan struct{}), code: -1}
	go p.wait()
	return p, nil
}

func (p *Process) wait() {
	err := p.cmd.Wait()
	p.mu.Lock()
	p.exitedAt = time.Now()
	p.code = p.cmd.ProcessState.ExitCode()
	p.state = p.cmd.ProcessState.String()
	if err != nil && p.cmd.ProcessState == nil {
		p.state = err.Error()
	}
	p.mu.Unlock()
	close(p.done)
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool { return chans.Closed(p.done) }

// Exit returns when the process exited, its exit code (-1 when a signal ended it) and a
// description like "exit status 1" or "signal: killed". Valid after Done is closed.
func (p *Process) Exit() (at time.Time, code int, state string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitedAt, p.code, p.state
}

// Signal sends sig to the service's main process (as Kubernetes does to a container's PID 1).
func (p *Process) Signal(sig os.Signal) error {
	if p.Exited() {
		return fmt.Errorf("signal %v: service already exited (%s)", sig, p.describeExit())
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %v: %w", sig, err)
	}
	return nil
}

// Kill kills the whole process group and waits until the main process is reaped, at most
// DefaultWaitDelay plus a second. Safe to call more than once and after the process exited:
// it still kills anything the service left behind in its group.
func (p *Process) Kill() {
	killGroup(p.cmd.Process)
	select {
	case <-p.done:
	case <-time.After(DefaultWaitDelay + time.Second):
	}
}

// Output returns the last lines the service wrote.
func (p *Process) Output() string { return p.tail.String() }

func (p *Process) describeExit() string {
	_, code, state := p.Exit()
	if state == "" {
		state = "exit status " + strconv.Itoa(code)
	}
	return state
}

// ExitError returns an error describing an early exit, with the service's last output.
func (p *Process) ExitError(what string) error {
	msg := fmt.Sprintf("%s: service exited (%s)", what, p.describeExit())
	if out := strings.TrimSpace(p.Output()); out != "" {
		msg += "; its last output:\n" + out
	}
	return errors.New(msg)
}
