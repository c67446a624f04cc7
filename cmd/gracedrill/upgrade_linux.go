package main

import (
	"context"
	"fmt"
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

// upgrading is one run of the upgrade drill: the service's generations, what they told the
// drill, and what the drill saw.
type upgrading struct {
	c        upgradeConfig
	rec      *record.Recording
	prober   *lb.Prober
	bin      *binary
	logPath  string
	msgs     chan notifyMsg
	cur      *watched // the serving process
	problems []string
	rows     []upgradeRow
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
	u := &upgrading{c: c, rec: record.New(time.Now()), prober: lb.NewProber(lb.DefaultProbeTimeout),
		logPath: filepath.Join(dir, "service.log"), msgs: make(chan notifyMsg, 64)}
	if u.bin, err = newBinary(dir, exe); err != nil {
		return none, nil, nil, nil, fmt.Errorf("copy the service's executable: %w", err)
	}
	notifyPath := filepath.Join(dir, "notify")
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		return none, nil, nil, nil, err
	}
	var readers sync.WaitGroup
	readers.Go(func() { readNotify(pc, u.msgs) })
	stopWatch := make(chan struct{})
	if c.PIDFile != "" {
		readers.Go(func() { watchPIDFile(c.PIDFile, u.msgs, stopWatch) })
	}
	defer func() { close(stopWatch); pc.Close(); readers.Wait() }()

	pgid, err := u.start(ctx, notifyPath)
	if pgid != 0 {
		defer killGroupAndReap(pgid)
	}
	if err != nil {
		return none, nil, nil, nil, err
	}
	base, err := url.Parse(c.URL)
	if err != nil {
		return none, nil, nil, nil, err
	}
	gens := []*load.Generator{
		load.New(load.Config{Base: base, Rate: c.Rate - c.Rate/2, Targets: c.targets, Timeout: c.Timeout}, u.rec),
		load.New(load.Config{Base: base, Rate: c.Rate / 2, Targets: c.targets, Timeout: c.Timeout, NewConnections: true}, u.rec),
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

	if err := u.upgrades(ctx); err != nil {
		return none, nil, nil, nil, err
	}
	stopLoad()
	u.stopLast()
	var rate float64
	var window time.Duration
	behind := false
	for _, g := range gens {
		r, w, b := g.Achieved()
		rate += r
		window = max(window, w)
		behind = behind || b
	}
	reqs, events := u.rec.Requests(), u.rec.Events()
	s := summary.Build(summary.Input{Mode: "upgrade", AskedRate: c.Rate, AchievedRate: rate, SendWindow: window, Behind: behind,
		Budget: c.Budget, Requests: reqs, Events: events, Problems: u.problems})
	return s, u.rows, reqs, events, nil
}

// start starts the first generation from the drill's copy of the executable, in a process
// group of its own that every generation shares, and waits until it is ready. It returns the
// group's ID once the process runs.
func (u *upgrading) start(ctx context.Context, notifyPath string) (int, error) {
	c := u.c
	logf, err := os.Create(u.logPath)
	if err != nil {
		return 0, err
	}
	defer logf.Close() // the service holds its own descriptor
	out := logf
	if f, ok := c.serviceStderr.(*os.File); ok {
		out = f
	}
	argv, env := config.Config{Command: c.Command}.CommandFor(c.Port)
	cmd := exec.Command(u.bin.path, argv[1:]...)
	cmd.Env = append(append(os.Environ(), env...), "NOTIFY_SOCKET="+notifyPath)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // every generation in one group
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("%w: %s: %w", process.ErrNotStarted, c.Command[0], err)
	}
	u.cur = watch(cmd.Process)
	if err := u.prober.WaitReady(ctx, c.ReadyURL, u.cur.done, c.StartTimeout); err != nil {
		return cmd.Process.Pid, fmt.Errorf("start %q: %w%s", c.Command[0], err, u.tail())
	}
	u.rec.Mark(record.Ready, 0, fmt.Sprintf("pid %d", u.cur.pid))
	return cmd.Process.Pid, nil
}

// tail is the end of the service's output, for a problem's text.
func (u *upgrading) tail() string {
	b, _ := os.ReadFile(u.logPath)
	if len(b) > 2048 {
		b = b[len(b)-2048:]
	}
	if s := strings.TrimSpace(string(b)); s != "" {
		return "; its last output:\n" + s
	}
	return ""
}

func (u *upgrading) progress(format string, args ...any) {
	if u.c.progressStderr != nil {
		fmt.Fprintf(u.c.progressStderr, "gracedrill upgrade: "+format+"\n", args...)
	}
}

// upgrades runs the warm-up, the upgrades and the load after them. It stops at the first upgrade
// that went neither as a handover nor as a failure the process survived.
func (u *upgrading) upgrades(ctx context.Context) error {
	c := u.c
	if err := sleepCtx(ctx, c.Warmup); err != nil {
		return err
	}
	for i := 1; i <= c.Upgrades; i++ {
		if i > 1 {
			if err := sleepCtx(ctx, c.Every); err != nil {
				return err
			}
		}
		row, err := u.upgrade(ctx, i)
		if err != nil {
			return err
		}
		u.rows = append(u.rows, row)
		if row.Outcome != "ready" && row.Outcome != "failed" {
			break
		}
	}
	return sleepCtx(ctx, c.After)
}

// upgrade signals the serving process and follows upgrade i to its outcome.
func (u *upgrading) upgrade(ctx context.Context, i int) (upgradeRow, error) {
	c, rec, cur := u.c, u.rec, u.cur
	for len(u.msgs) > 0 {
		<-u.msgs
	}
	row := upgradeRow{N: i, Parent: cur.pid, Planned: "ok"}
	if i == c.Fail {
		row.Planned = c.FailHow
		if err := u.bin.breakIt(c.FailHow); err != nil {
			return row, fmt.Errorf("replace the executable for upgrade %d: %w", i, err)
		}
	}
	row.SignalAt = rec.Now()
	if err := syscall.Kill(cur.pid, c.Signal.(syscall.Signal)); err != nil {
		u.problems = append(u.problems, fmt.Sprintf("upgrade %d: could not signal %d: %v", i, cur.pid, err))
		return row, nil
	}
	rec.MarkAt(evUpgradeSignal, row.SignalAt, i, fmt.Sprintf("%s to %d", c.SignalName, cur.pid))
	succ, err := u.outcome(ctx, &row)
	if err != nil {
		return row, err
	}
	if row.Planned != "ok" {
		if err := u.bin.restore(); err != nil {
			return row, fmt.Errorf("restore the executable after upgrade %d: %w", i, err)
		}
	}
	switch {
	case succ != 0:
		return row, u.handedOver(&row, succ)
	case row.Outcome == "failed":
		if row.Planned == "ok" {
			u.problems = append(u.problems, fmt.Sprintf("upgrade %d failed: %s%s", i, row.Detail, u.tail()))
		}
		if cur.exited() {
			u.problems = append(u.problems, fmt.Sprintf("upgrade %d: the process %d did not go on serving after the failed upgrade", i, cur.pid))
		} else if err := u.prober.Probe(ctx, c.ReadyURL); err != nil {
			u.problems = append(u.problems, fmt.Sprintf("upgrade %d: the process %d is not ready after the failed upgrade: %v", i, cur.pid, err))
		}
		u.progress("upgrade %d failed (%s planned), %d still serving", i, row.Planned, cur.pid)
	}
	return row, nil
}

// outcome reads what the service says until the upgrade is settled: a successor ready (its PID
// returned), a failure the parent reports (row.Outcome "failed"), the parent gone with no
// successor, or the upgrade timeout.
func (u *upgrading) outcome(ctx context.Context, row *upgradeRow) (int, error) {
	c, rec, cur, i := u.c, u.rec, u.cur, row.N
	timer := time.NewTimer(c.UpgradeTimeout)
	defer timer.Stop()
	parentDone := cur.done
	var orphan <-chan time.Time
	for {
		select {
		case m := <-u.msgs:
			if p, _ := strconv.Atoi(m.kv["MAINPID"]); p > 0 && p != cur.pid && m.kv["READY"] == "1" && (c.PIDFile == "") == (m.kv["FROM"] != "pid-file") {
				d := rec.Since(m.at) - row.SignalAt
				row.Ready = &d
				return p, nil
			}
			if st := m.kv["STATUS"]; strings.HasPrefix(st, "upgrade failed") {
				row.Outcome, row.Detail = "failed", st
				rec.MarkAt(evUpgradeFailed, rec.Since(m.at), i, fmt.Sprintf("%d still serving", cur.pid))
				return 0, nil
			}
		case <-parentDone:
			// A parent may exit before its successor says it is ready: a sequential successor
			// starts only then, a restart starts it only then, and a PID file may be written a
			// moment after. Wait a little longer (until the timeout with a PID file) before
			// calling it a failure.
			parentDone = nil
			grace := orphanGrace
			if c.PIDFile != "" {
				grace = c.UpgradeTimeout
			}
			orphan = time.After(grace)
		case <-orphan:
			row.Outcome = "parent exited"
			u.problems = append(u.problems, fmt.Sprintf("upgrade %d: the serving process %d exited (%s) with no successor ready%s", i, cur.pid, cur.state, u.tail()))
			return 0, nil
		case <-timer.C:
			row.Outcome = "timeout"
			u.problems = append(u.problems, fmt.Sprintf("upgrade %d: neither ready nor failed after %v", i, c.UpgradeTimeout))
			return 0, nil
		case <-ctx.Done():
			return 0, fmt.Errorf("drill interrupted: %w", context.Cause(ctx))
		}
	}
}

// handedOver records the successor succ, waits for the parent to exit (killing it past the
// budget), and makes succ the serving process.
func (u *upgrading) handedOver(row *upgradeRow, succ int) error {
	c, rec, cur, i := u.c, u.rec, u.cur, row.N
	row.Outcome, row.Successor = "ready", succ
	rec.MarkAt(evSuccessorReady, row.SignalAt+*row.Ready, i, fmt.Sprintf("pid %d", succ))
	if row.Planned != "ok" {
		u.problems = append(u.problems, fmt.Sprintf("upgrade %d was to fail (%s) but a successor took over", i, row.Planned))
	}
	select {
	case <-cur.done:
		d := rec.Since(cur.at) - row.SignalAt
		row.Gone, row.ExitCode = &d, &cur.code
		rec.MarkAt(evParentGone, rec.Since(cur.at), i, fmt.Sprintf("pid %d: %s", cur.pid, cur.state))
		if cur.code != 0 {
			u.problems = append(u.problems, fmt.Sprintf("upgrade %d: parent %d exited with code %d", i, cur.pid, cur.code))
		}
	case <-time.After(c.Budget):
		u.problems = append(u.problems, fmt.Sprintf("upgrade %d: parent %d still running %v after its successor was ready; killed", i, cur.pid, c.Budget))
		_ = syscall.Kill(cur.pid, syscall.SIGKILL)
		<-cur.done
	}
	p, err := os.FindProcess(succ)
	if err != nil {
		return err
	}
	u.cur = watch(p)
	u.progress("upgrade %d: %d → %d, ready after %.1f ms, parent gone after %s", i, row.Parent, succ, ms(*row.Ready), fmtOpt(row.Gone))
	return nil
}

// stopLast stops the last process as a service would be stopped: SIGTERM.
func (u *upgrading) stopLast() {
	cur := u.cur
	if cur.exited() {
		return
	}
	_ = syscall.Kill(cur.pid, syscall.SIGTERM)
	select {
	case <-cur.done:
		if cur.code != 0 {
			u.problems = append(u.problems, fmt.Sprintf("the last process %d exited with code %d after SIGTERM", cur.pid, cur.code))
		}
	case <-time.After(u.c.Budget):
		u.problems = append(u.problems, fmt.Sprintf("the last process %d did not exit within %v of SIGTERM", cur.pid, u.c.Budget))
	}
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

func fmtOpt(d *time.Duration) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f ms", ms(*d))
}
