package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/lb"
	"github.com/gracekit/grace/cmd/gracedrill/internal/load"
	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
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

func (w *watched) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// notifyMsg is one datagram the service sent to NOTIFY_SOCKET.
type notifyMsg struct {
	at time.Time
	kv map[string]string
}

func readNotify(pc *net.UnixConn, out chan<- notifyMsg) {
	buf := make([]byte, 4096)
	for {
		n, err := pc.Read(buf)
		if err != nil {
			return
		}
		m := notifyMsg{at: time.Now(), kv: map[string]string{}}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				m.kv[k] = v
			}
		}
		select {
		case out <- m:
		default: // nobody reads that fast: the drill only needs the latest
		}
	}
}

// orphanGrace is how long, after the serving process exited, the drill still waits for a
// successor's MAINPID= and READY=1 (sent from a successor that outlived its parent).
const orphanGrace = 2 * time.Second

// watchPIDFile reports each new PID the file names, as if the service had sent MAINPID= and
// READY=1, every 2 ms until stop is closed.
func watchPIDFile(path string, out chan<- notifyMsg, stop <-chan struct{}) {
	last := ""
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		b, err := os.ReadFile(path)
		pid := strings.TrimSpace(string(b))
		if err != nil || pid == last || pid == "" {
			continue
		}
		last = pid
		select {
		case out <- notifyMsg{at: time.Now(), kv: map[string]string{"MAINPID": pid, "READY": "1", "FROM": "pid-file"}}:
		default:
		}
	}
}

func becomeSubreaper() error {
	const prSetChildSubreaper = 36
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		return fmt.Errorf("become the successors' reaper: %w", e)
	}
	return nil
}

// binary is the drill's copy of the service's executable, at the path the service runs from,
// so that a failing upgrade can put a broken build there for one upgrade.
type binary struct{ path, good, dir string }

func newBinary(dir, exe string) (*binary, error) {
	b := &binary{path: filepath.Join(dir, filepath.Base(exe)), good: filepath.Join(dir, ".good"), dir: dir}
	src, err := os.Open(exe)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := os.OpenFile(b.good, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return nil, err
	}
	if err := dst.Close(); err != nil {
		return nil, err
	}
	return b, os.Link(b.good, b.path)
}

// replace renames a new file over the path: the running process keeps its (now unlinked) file,
// and its successor, which resolves its executable again, runs the new one.
func (b *binary) replace(write func(tmp string) error) error {
	tmp := filepath.Join(b.dir, ".next")
	_ = os.Remove(tmp)
	if err := write(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, b.path)
}

func (b *binary) breakIt(how string) error {
	script := "#!/bin/sh\necho 'gracedrill: this build fails on purpose' >&2\nexit 1\n"
	if how == failHang {
		script = "#!/bin/sh\necho 'gracedrill: this build never becomes ready' >&2\nexec sleep 3600\n"
	}
	return b.replace(func(tmp string) error { return os.WriteFile(tmp, []byte(script), 0o755) })
}

func (b *binary) restore() error {
	return b.replace(func(tmp string) error { return os.Link(b.good, tmp) })
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("drill interrupted: %w", context.Cause(ctx))
	}
}

// upgradeDrill runs the drill. An error means it could not be carried out; a failed verdict
// is not an error.
func upgradeDrill(ctx context.Context, c upgradeConfig) (summary.Summary, []upgradeRow, []record.Request, []record.Event, error) {
	var none summary.Summary
	if err := process.CheckPortFree(net.JoinHostPort(c.Host, strconv.Itoa(c.Port))); err != nil {
		return none, nil, nil, nil, err
	}
	if err := becomeSubreaper(); err != nil {
		return none, nil, nil, nil, err
	}
	exe, err := exec.LookPath(c.Command[0])
	if err != nil {
		return none, nil, nil, nil, fmt.Errorf("%w: %s: %w", process.ErrNotStarted, c.Command[0], err)
	}
	dir, err := os.MkdirTemp("", "gracedrill-upgrade-")
	if err != nil {
		return none, nil, nil, nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := newBinary(dir, exe)
	if err != nil {
		return none, nil, nil, nil, fmt.Errorf("copy the service's executable: %w", err)
	}
	notifyPath := filepath.Join(dir, "notify")
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		return none, nil, nil, nil, err
	}
	msgs := make(chan notifyMsg, 64)
	var readers sync.WaitGroup
	readers.Go(func() { readNotify(pc, msgs) })
	stopWatch := make(chan struct{})
	if c.PIDFile != "" {
		readers.Go(func() { watchPIDFile(c.PIDFile, msgs, stopWatch) })
	}
	defer func() { close(stopWatch); pc.Close(); readers.Wait() }()

	logPath := filepath.Join(dir, "service.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return none, nil, nil, nil, err
	}
	defer logf.Close()
	out := logf
	if f, ok := c.serviceStderr.(*os.File); ok {
		out = f
	}
	tail := func() string {
		b, _ := os.ReadFile(logPath)
		if len(b) > 2048 {
			b = b[len(b)-2048:]
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			return "; its last output:\n" + s
		}
		return ""
	}
	argv, env := config.Config{Command: c.Command}.CommandFor(c.Port)
	cmd := exec.Command(bin.path, argv[1:]...)
	cmd.Env = append(append(os.Environ(), env...), "NOTIFY_SOCKET="+notifyPath)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // every generation in one group
	if err := cmd.Start(); err != nil {
		return none, nil, nil, nil, fmt.Errorf("%w: %s: %w", process.ErrNotStarted, c.Command[0], err)
	}
	pgid := cmd.Process.Pid
	cur := watch(cmd.Process)
	defer killGroupAndReap(pgid)
	progress := func(format string, args ...any) {
		if c.progressStderr != nil {
			fmt.Fprintf(c.progressStderr, "gracedrill upgrade: "+format+"\n", args...)
		}
	}

	rec := record.New(time.Now())
	prober := lb.NewProber(lb.DefaultProbeTimeout)
	if err := prober.WaitReady(ctx, c.ReadyURL, cur.done, c.StartTimeout); err != nil {
		return none, nil, nil, nil, fmt.Errorf("start %q: %w%s", c.Command[0], err, tail())
	}
	rec.Mark(record.Ready, 0, fmt.Sprintf("pid %d", cur.pid))
	base, err := url.Parse(c.URL)
	if err != nil {
		return none, nil, nil, nil, err
	}
	gens := []*load.Generator{
		load.New(load.Config{Base: base, Rate: c.Rate - c.Rate/2, Targets: c.targets, Timeout: c.Timeout}, rec),
		load.New(load.Config{Base: base, Rate: c.Rate / 2, Targets: c.targets, Timeout: c.Timeout, NewConnections: true}, rec),
	}
	var running sync.WaitGroup
	for _, g := range gens {
		running.Go(g.Run)
	}
	stopLoad := func() {
		for _, g := range gens {
			g.Stop()
		}
		running.Wait()
	}
	defer stopLoad()

	var problems []string
	var rows []upgradeRow
	fail := func(err error) (summary.Summary, []upgradeRow, []record.Request, []record.Event, error) {
		return none, nil, nil, nil, err
	}
	if err := sleepCtx(ctx, c.Warmup); err != nil {
		return fail(err)
	}
	for i := 1; i <= c.Upgrades; i++ {
		if i > 1 {
			if err := sleepCtx(ctx, c.Every); err != nil {
				return fail(err)
			}
		}
		for len(msgs) > 0 {
			<-msgs
		}
		row := upgradeRow{N: i, Parent: cur.pid, Planned: "ok"}
		if i == c.Fail {
			row.Planned = c.FailHow
			if err := bin.breakIt(c.FailHow); err != nil {
				return fail(fmt.Errorf("replace the executable for upgrade %d: %w", i, err))
			}
		}
		row.SignalAt = rec.Now()
		if err := syscall.Kill(cur.pid, c.Signal.(syscall.Signal)); err != nil {
			problems = append(problems, fmt.Sprintf("upgrade %d: could not signal %d: %v", i, cur.pid, err))
			rows = append(rows, row)
			break
		}
		rec.MarkAt(evUpgradeSignal, row.SignalAt, i, fmt.Sprintf("%s to %d", c.SignalName, cur.pid))
		timer := time.NewTimer(c.UpgradeTimeout)
		succ := 0
		parentDone := cur.done
		var orphan <-chan time.Time
		// handle reads one datagram and reports whether it settles the upgrade.
		handle := func(m notifyMsg) bool {
			if p, _ := strconv.Atoi(m.kv["MAINPID"]); p > 0 && p != cur.pid && m.kv["READY"] == "1" && (c.PIDFile == "") == (m.kv["FROM"] != "pid-file") {
				succ = p
				d := rec.Since(m.at) - row.SignalAt
				row.Ready = &d
				return true
			}
			if st := m.kv["STATUS"]; strings.HasPrefix(st, "upgrade failed") {
				row.Outcome, row.Detail = "failed", st
				rec.MarkAt(evUpgradeFailed, rec.Since(m.at), i, fmt.Sprintf("%d still serving", cur.pid))
				return true
			}
			return false
		}
	outcome:
		for {
			select {
			case m := <-msgs:
				if handle(m) {
					break outcome
				}
			case <-parentDone:
				// A parent may exit before its successor says it is ready: a sequential
				// successor starts only then, a restart starts it only then, and a PID file may
				// be written a moment after. Wait a little longer (until the timeout with a PID
				// file) before calling it a failure.
				parentDone = nil
				grace := orphanGrace
				if c.PIDFile != "" {
					grace = c.UpgradeTimeout
				}
				orphan = time.After(grace)
			case <-orphan:
				row.Outcome = "parent exited"
				problems = append(problems, fmt.Sprintf("upgrade %d: the serving process %d exited (%s) with no successor ready%s", i, cur.pid, cur.state, tail()))
				break outcome
			case <-timer.C:
				row.Outcome = "timeout"
				problems = append(problems, fmt.Sprintf("upgrade %d: neither ready nor failed after %v", i, c.UpgradeTimeout))
				break outcome
			case <-ctx.Done():
				timer.Stop()
				return fail(fmt.Errorf("drill interrupted: %w", context.Cause(ctx)))
			}
		}
		timer.Stop()
		if row.Planned != "ok" {
			if err := bin.restore(); err != nil {
				return fail(fmt.Errorf("restore the executable after upgrade %d: %w", i, err))
			}
		}
		switch {
		case succ != 0:
			row.Outcome, row.Successor = "ready", succ
			rec.MarkAt(evSuccessorReady, row.SignalAt+*row.Ready, i, fmt.Sprintf("pid %d", succ))
			if row.Planned != "ok" {
				problems = append(problems, fmt.Sprintf("upgrade %d was to fail (%s) but a successor took over", i, row.Planned))
			}
			select {
			case <-cur.done:
				d := rec.Since(cur.at) - row.SignalAt
				row.Gone, row.ExitCode = &d, &cur.code
				rec.MarkAt(evParentGone, rec.Since(cur.at), i, fmt.Sprintf("pid %d: %s", cur.pid, cur.state))
				if cur.code != 0 {
					problems = append(problems, fmt.Sprintf("upgrade %d: parent %d exited with code %d", i, cur.pid, cur.code))
				}
			case <-time.After(c.Budget):
				problems = append(problems, fmt.Sprintf("upgrade %d: parent %d still running %v after its successor was ready; killed", i, cur.pid, c.Budget))
				_ = syscall.Kill(cur.pid, syscall.SIGKILL)
				<-cur.done
			}
			p, err := os.FindProcess(succ)
			if err != nil {
				return fail(err)
			}
			cur = watch(p)
			progress("upgrade %d: %d → %d, ready after %.1f ms, parent gone after %s", i, row.Parent, succ, ms(*row.Ready), fmtOpt(row.Gone))
		case row.Outcome == "failed":
			if row.Planned == "ok" {
				problems = append(problems, fmt.Sprintf("upgrade %d failed: %s%s", i, row.Detail, tail()))
			}
			if cur.exited() {
				problems = append(problems, fmt.Sprintf("upgrade %d: the process %d did not go on serving after the failed upgrade", i, cur.pid))
			} else if err := prober.Probe(ctx, c.ReadyURL); err != nil {
				problems = append(problems, fmt.Sprintf("upgrade %d: the process %d is not ready after the failed upgrade: %v", i, cur.pid, err))
			}
			progress("upgrade %d failed (%s planned), %d still serving", i, row.Planned, cur.pid)
		}
		rows = append(rows, row)
		if row.Outcome != "ready" && row.Outcome != "failed" {
			break
		}
	}
	if err := sleepCtx(ctx, c.After); err != nil {
		return fail(err)
	}
	stopLoad()
	// The last process stops as a service would: SIGTERM.
	if !cur.exited() {
		_ = syscall.Kill(cur.pid, syscall.SIGTERM)
		select {
		case <-cur.done:
			if cur.code != 0 {
				problems = append(problems, fmt.Sprintf("the last process %d exited with code %d after SIGTERM", cur.pid, cur.code))
			}
		case <-time.After(c.Budget):
			problems = append(problems, fmt.Sprintf("the last process %d did not exit within %v of SIGTERM", cur.pid, c.Budget))
		}
	}
	var rate float64
	var window time.Duration
	behind := false
	for _, g := range gens {
		r, w, b := g.Achieved()
		rate += r
		window = max(window, w)
		behind = behind || b
	}
	reqs, events := rec.Requests(), rec.Events()
	s := summary.Build(summary.Input{Mode: "upgrade", AskedRate: c.Rate, AchievedRate: rate, SendWindow: window, Behind: behind,
		Budget: c.Budget, Requests: reqs, Events: events, Problems: problems})
	return s, rows, reqs, events, nil
}

func fmtOpt(d *time.Duration) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f ms", ms(*d))
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
