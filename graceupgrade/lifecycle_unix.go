//go:build unix

package graceupgrade

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/gracekit/grace"
)

// Start begins watching the trigger signals, serves the admin endpoint if configured, and
// closes inherited descriptors no Listen claimed. In a successor in sequential mode it then
// tells the parent it has the sockets and waits, bounded by ctx (the start timeout), until the
// parent has stopped completely; the components that start after it start only then.
func (u *Upgrader) Start(ctx context.Context) error {
	if err := u.Validate(); err != nil { // used outside an app
		return err
	}
	if u.started.Swap(true) {
		return errors.New("already started")
	}
	if u.cfg.adminAddr != "" {
		if err := u.startAdmin(); err != nil {
			return err
		}
	}
	u.mu.Lock()
	spare := u.spare
	u.spare = nil
	u.mu.Unlock()
	for _, nf := range spare {
		u.log.Warn("graceupgrade: inherited socket not claimed by any Listen, closed", "name", nf.Name)
		_ = nf.File.Close()
	}
	if len(u.cfg.signals) > 0 {
		u.sigCh = make(chan os.Signal, 1)
		signal.Notify(u.sigCh, u.cfg.signals...)
	}
	if u.in.successor && u.in.mode == modeSequential {
		if err := u.awaitParent(ctx); err != nil {
			return err
		}
	}
	return nil
}

// awaitParent is a sequential successor's handshake: "armed", then wait for the parent's pipe to
// close, which happens once the parent has stopped completely (or exited).
func (u *Upgrader) awaitParent(ctx context.Context) error {
	if _, err := fmt.Fprintf(u.readyW, "armed %d\n", os.Getpid()); err != nil {
		return fmt.Errorf("tell the parent the sockets are taken: %w", err)
	}
	_ = u.readyW.Close()
	u.log.Info("graceupgrade: sockets taken, waiting for the parent to stop", "parent", u.in.ppid)
	stop := context.AfterFunc(ctx, func() { _ = u.parentR.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 64)
	for {
		_, err := u.parentR.Read(buf)
		if err == nil {
			continue
		}
		_ = u.parentR.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("parent %d did not stop before the start timeout: %w", u.in.ppid, context.Cause(ctx))
		}
		u.log.Info("graceupgrade: parent stopped, starting", "parent", u.in.ppid)
		return nil
	}
}

// Run waits for the app to be ready — every component started — and then, in a successor,
// tells the parent (which begins its stop) and the service manager; it writes the PID file.
// From then on it turns trigger signals into upgrades until the stop.
func (u *Upgrader) Run(ctx context.Context) error {
	select {
	case <-u.app.Await(grace.PhaseReady):
	case <-ctx.Done():
		return nil
	case <-u.quit:
		return nil
	}
	if u.app.Phase() == grace.PhaseReady {
		u.becameReady()
	}
	for {
		select {
		case s := <-u.sigCh:
			u.log.Info("graceupgrade: signal received, upgrading", "signal", s.String())
			u.wg.Go(func() { _, _ = u.Upgrade(context.Background()) })
		case <-ctx.Done():
			return nil
		case <-u.quit:
			return nil
		}
	}
}

func (u *Upgrader) becameReady() {
	pid := os.Getpid()
	if u.in.successor && u.in.mode == modeOverlap {
		if _, err := fmt.Fprintf(u.readyW, "ready %d\n", pid); err != nil {
			u.log.Error("graceupgrade: could not tell the parent this process is ready", "parent", u.in.ppid, "error", err)
		}
		_ = u.readyW.Close()
		// The parent answers once it has told the service manager this is the main process.
		_ = u.parentR.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = bufio.NewReader(u.parentR).ReadString('\n')
		_ = u.parentR.Close()
	}
	if u.in.successor {
		u.notify("MAINPID=" + strconv.Itoa(pid) + "\nREADY=1")
	} else {
		u.notify("READY=1") // the first process: Type=notify waits for it
	}
	if u.cfg.pidFile != "" {
		if err := writePIDFile(u.cfg.pidFile, pid); err != nil {
			u.log.Error("graceupgrade: PID file not written", "path", u.cfg.pidFile, "error", err)
		} else {
			u.mu.Lock()
			u.pidWritten = true
			u.mu.Unlock()
		}
	}
}

// Drain cancels an upgrade under way, unless its successor already took over: the successor is
// stopped (SIGTERM, then SIGKILL after the kill grace) and reaped. It waits for that, bounded by
// ctx. Upgrades are refused from now on.
func (u *Upgrader) Drain(ctx context.Context) error {
	return u.cancelUpgrade(ctx)
}

func (u *Upgrader) cancelUpgrade(ctx context.Context) error {
	u.mu.Lock()
	u.stopping = true
	cancel, done := u.cancelUp, u.upDone
	u.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel(fmt.Errorf("%w: the app is stopping", ErrCancelled))
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping the successor: %w", context.Cause(ctx))
	}
}

// Stop cancels an upgrade under way as Drain does, stops watching signals and the admin
// endpoint, waits for the upgrades it started, and removes the PID file if this process wrote
// it and hands over to nobody. It does not close the named sockets: they belong to the
// components that serve on them.
func (u *Upgrader) Stop(ctx context.Context) error {
	err := u.cancelUpgrade(ctx)
	u.quitOnce.Do(func() { close(u.quit) })
	if u.sigCh != nil {
		signal.Stop(u.sigCh)
	}
	u.mu.Lock()
	admin := u.admin
	spare := u.spare
	u.spare = nil
	u.mu.Unlock()
	for _, nf := range spare {
		_ = nf.File.Close()
	}
	if admin != nil {
		if aerr := admin.Shutdown(ctx); aerr != nil {
			_ = admin.Close()
		}
	}
	u.wg.Wait()
	u.mu.Lock()
	removePID := u.pidWritten && u.handedTo == 0
	u.mu.Unlock()
	if removePID {
		if perr := removePIDFile(u.cfg.pidFile, os.Getpid()); perr != nil {
			u.log.Warn("graceupgrade: PID file not removed", "path", u.cfg.pidFile, "error", perr)
		}
	}
	for _, f := range []*os.File{u.readyW, u.parentR} {
		if f != nil {
			_ = f.Close()
		}
	}
	return err
}
