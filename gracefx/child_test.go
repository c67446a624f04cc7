package gracefx_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefx"
	"go.uber.org/fx"
)

// The test binary doubles as an fx service: with childEnv set, TestMain runs childMain instead
// of the tests. Its fx app (three constructors with hooks, wired through gracefx) runs under
// grace's real signal handling; each hook writes a line to standard output as it runs, and the
// process exits with the App's code.
const childEnv = "GRACEFX_CHILD"

func childMain() int {
	code := -1
	app := grace.New(
		grace.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		grace.WithExit(func(c int) { code = c }),
		grace.WithBudget(5*time.Second),
	)
	line := func(s string) { fmt.Fprintln(os.Stdout, s) }
	hook := func(name string) func(fx.Lifecycle) {
		return func(lc fx.Lifecycle) {
			lc.Append(fx.Hook{
				OnStart: func(context.Context) error { line("start " + name); return nil },
				OnStop:  func(context.Context) error { line("stop " + name); return nil },
			})
		}
	}
	fxApp := fx.New(fx.NopLogger, gracefx.Module(app, gracefx.WithStopTimeout(time.Second)),
		fx.Invoke(hook("a"), hook("b"), hook("c")),
		fx.Invoke(func(lc fx.Lifecycle) {
			lc.Append(fx.StartHook(func() { line("ready") }))
		}),
	)
	if err := fxApp.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	app.Main()
	return code
}
