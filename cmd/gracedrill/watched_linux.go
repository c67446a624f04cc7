package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/gracekit/grace/internal/chans"
)

// watched is a process the drill waits for: the first one (its child), or a successor adopted
// once its parent exited (the drill is a child subreaper).
type watched struct {
	pid   int
	done  chan struct{}
	at    time.Time
	code  int
	state string
}

func watch(p *os.Process) *watched {
	w := &watched{pid: p.Pid, done: make(chan struct{}), code: -1}
	go func() {
		st, err := p.Wait()
		w.at = time.Now()
		if err != nil {
			w.state = err.Error()
		} else {
			w.code, w.state = st.ExitCode(), st.String()
		}
		close(w.done)
	}()
	return w
}

func (w *watched) exited() bool { return chans.Closed(w.done) }

func becomeSubreaper() error {
	const prSetChildSubreaper = 36
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		return fmt.Errorf("become the successors' reaper: %w", e)
	}
	return nil
}

// killGroupAndReap kills every process left in the service's group and reaps the ones the
// drill adopted.
func killGroupAndReap(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.ECHILD) {
			return
		}
		if pid == 0 || err != nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
}
