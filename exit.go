package grace

import (
	"context"
	"log/slog"
	"os"
)

// Exit codes, as [Report.ExitCode] and [App.Main] use them. Supervisors can tell a failed start
// (don't restart in a loop) from a crash or a slow stop.
const (
	ExitClean       = 0 // everything stopped in time, without errors
	ExitStopFailed  = 1 // a stop returned an error, overran its limit, or the budget ran out
	ExitStartFailed = 3 // configuration was invalid, or a component failed to start
	ExitCrashed     = 4 // a component failed while running (a worker's error or panic)
	ExitForced      = 5 // a third signal forced the exit without waiting
	ExitLost        = 6 // the stop lost accepted work (Report.Lost > 0); codes 3, 4 and 5 take precedence, 1 does not; see [Accounter]
)

// ExitCodeName names an exit code: "clean", "stop failed", "start failed", "crashed", "forced",
// "lost work".
func ExitCodeName(code int) string {
	switch code {
	case ExitClean:
		return "clean"
	case ExitStopFailed:
		return "stop failed"
	case ExitStartFailed:
		return "start failed"
	case ExitCrashed:
		return "crashed"
	case ExitForced:
		return "forced"
	case ExitLost:
		return "lost work"
	}
	return "unknown"
}

// Main runs the app until it stops, logs the report and exits the process with the report's
// exit code — once, after everything returned, so deferred cleanup in components has run. Call
// it last in func main; deferred functions in main do not run (put cleanup in components).
// Unlike [App.Run], Main keeps the signals caught until the process exits, so a late signal
// cannot end the process while the report is logged, nor change its exit code; if the exit
// function ([WithExit]) returns, their handling is restored then.
func (a *App) Main() {
	rep, restore, _ := a.execute(context.Background())
	defer restore()
	a.mu.Lock()
	exit := a.cfg.exit
	a.mu.Unlock()
	if exit == nil {
		exit = os.Exit
	}
	level := slog.LevelInfo
	if rep.ExitCode != ExitClean {
		level = slog.LevelError
	}
	a.log().Log(context.Background(), level, "grace: shutdown report", "report", rep)
	exit(rep.ExitCode)
}
