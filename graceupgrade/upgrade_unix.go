//go:build unix

package graceupgrade

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gracekit/grace"
)

// Upgrade starts a successor — the executable path resolved again, so a replaced binary runs,
// with this process's arguments, environment and working directory — handing it every named
// socket, and waits until it is ready (in sequential mode: until it has taken the sockets),
// at most the ready timeout. Then it stops this app, with a reason beginning with [StopReason],
// and returns the successor's PID: the app drains through its normal stop (in-flight work
// finishes here, keep-alive clients are asked to reconnect) while the successor serves the same
// sockets.
//
// A successor that exits, closes its pipe, is not ready in time, or is still starting when ctx
// ends or the app begins to stop is stopped (SIGTERM, SIGKILL after the kill grace) and reaped;
// the error is an [*UpgradeError] and this process keeps serving, so a later attempt may
// follow. Upgrade refuses at once, with a log line, while another upgrade is under way
// ([ErrInProgress]) or the app is not ready ([ErrNotServing]). Safe for concurrent use.
func (u *Upgrader) Upgrade(ctx context.Context) (int, error) {
	if err := u.Validate(); err != nil {
		return 0, err
	}
	u.mu.Lock()
	var refused error
	switch {
	case u.upgrading:
		refused = ErrInProgress
	case u.handedTo != 0:
		refused = fmt.Errorf("%w: handed over to %d", ErrNotServing, u.handedTo)
	case u.stopping || u.app.Phase() != grace.PhaseReady:
		refused = fmt.Errorf("%w (phase %s)", ErrNotServing, u.app.Phase())
	}
	if refused != nil {
		u.mu.Unlock()
		u.log.Warn("graceupgrade: upgrade refused", "reason", refused.Error())
		return 0, refused
	}
	u.upgrading = true
	u.attempts++
	attempt := u.attempts
	upCtx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	u.cancelUp, u.upDone = cancel, done
	u.mu.Unlock()

	pid, err := u.upgrade(upCtx, attempt)
	cancel(nil)
	u.mu.Lock()
	u.upgrading = false
	u.cancelUp, u.upDone = nil, nil
	if err != nil {
		u.failed++
	}
	u.mu.Unlock()
	close(done)
	if err != nil {
		u.log.Error("graceupgrade: upgrade failed, still serving", "attempt", attempt, "error", err)
		u.notify("READY=1\nSTATUS=upgrade failed, still serving")
		u.emit(Event{Kind: EventFailed, Attempt: attempt, PID: pid, Err: err})
		return 0, err
	}
	return pid, nil
}

// upgrade runs one attempt; on success the app's stop has been requested.
func (u *Upgrader) upgrade(ctx context.Context, attempt int) (int, error) {
	fail := func(pid int, err error) (int, error) {
		return pid, &UpgradeError{Attempt: attempt, PID: pid, Err: err}
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(0, err)
	}
	u.mu.Lock()
	socks := append([]sock(nil), u.socks...)
	u.mu.Unlock()
	var files []*os.File
	var names []string
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	for _, s := range socks {
		f, err := dupFile(s)
		if err != nil {
			return fail(0, err)
		}
		files, names = append(files, f), append(names, s.name)
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return fail(0, err)
	}
	defer readyR.Close()
	parentR, parentW, err := os.Pipe()
	if err != nil {
		_ = readyW.Close()
		return fail(0, err)
	}
	handed := false
	defer func() {
		if !handed {
			_ = parentW.Close()
		}
	}()
	u.notify(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", monotonicUsec()))
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = upgradeEnv(os.Environ(), os.Getpid(), names, u.cfg.mode.String())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = append([]*os.File{readyW, parentR}, files...)
	err = cmd.Start()
	_ = readyW.Close()
	_ = parentR.Close()
	if err != nil {
		return fail(0, fmt.Errorf("start successor %s: %w", exe, err))
	}
	pid := cmd.Process.Pid
	u.log.Info("graceupgrade: successor started", "attempt", attempt, "pid", pid, "mode", u.cfg.mode.String(),
		"sockets", strings.Join(names, ","))
	u.emit(Event{Kind: EventBegin, Attempt: attempt, PID: pid})

	lines := make(chan string, 1)
	go func() { // ends when the successor writes, closes its end, or exits
		line, _ := bufio.NewReader(readyR).ReadString('\n')
		lines <- line
	}()
	timer := time.NewTimer(u.cfg.readyTimeout)
	defer timer.Stop()
	var why error
	read := false
	select {
	case line := <-lines:
		read = true
		word := "ready"
		if u.cfg.mode == Sequential {
			word = "armed"
		}
		if line == fmt.Sprintf("%s %d\n", word, pid) {
			break
		}
		why = ErrSuccessorExited
		if line != "" {
			why = fmt.Errorf("%w: it said %q", ErrSuccessorExited, line)
		}
	case <-timer.C:
		why = fmt.Errorf("%w (%v)", ErrReadyTimeout, u.cfg.readyTimeout)
	case <-ctx.Done():
		why = context.Cause(ctx)
		if !errors.Is(why, ErrCancelled) {
			why = fmt.Errorf("%w: %w", ErrCancelled, why)
		}
	}
	if why == nil {
		u.mu.Lock()
		if u.stopping {
			why = fmt.Errorf("%w: the app is stopping", ErrCancelled)
		} else {
			u.handedTo = pid
		}
		u.mu.Unlock()
	}
	if why != nil {
		_ = readyR.Close() // ends the reader if the successor still holds its end
		if !read {
			<-lines
		}
		return fail(pid, u.reap(cmd, why))
	}
	handed = true
	// Tell the service manager first, while this process is still its main process, then the
	// successor, then stop: whatever this process says while stopping is no longer the service's.
	if u.cfg.mode == Overlap {
		u.notify("MAINPID=" + strconv.Itoa(pid) + "\nREADY=1")
	} else {
		u.notify("MAINPID=" + strconv.Itoa(pid))
	}
	// This process may exit soon: the manager must have taken the new main PID before it does, or
	// it takes the exit for the service's end and stops the successor.
	u.notifyBarrier()
	_, _ = parentW.Write([]byte("ack\n"))
	_ = cmd.Process.Release() // the successor outlives this process
	go func() {               // the successor's pipe closes once this app has stopped completely
		<-u.app.Await(grace.PhaseStopped)
		_ = parentW.Close()
	}()
	u.log.Info("graceupgrade: successor ready, stopping", "attempt", attempt, "pid", pid)
	u.emit(Event{Kind: EventReady, Attempt: attempt, PID: pid})
	u.app.Stop(fmt.Sprintf("%s: successor %d %s", StopReason, pid, map[Mode]string{Overlap: "ready", Sequential: "took the sockets"}[u.cfg.mode]))
	return pid, nil
}

// reap stops a failed successor and waits for it: SIGTERM, then SIGKILL after the kill grace.
// It returns why, with the successor's exit status.
func (u *Upgrader) reap(cmd *exec.Cmd, why error) error {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	grace := time.NewTimer(u.cfg.killGrace)
	defer grace.Stop()
	var werr error
	select {
	case werr = <-waited:
	case <-grace.C:
		u.log.Warn("graceupgrade: successor ignored SIGTERM, killing it", "pid", cmd.Process.Pid, "after", u.cfg.killGrace)
		_ = cmd.Process.Kill()
		werr = <-waited
	}
	if werr == nil {
		werr = errors.New("exit status 0")
	}
	return fmt.Errorf("%w (%v)", why, werr)
}
