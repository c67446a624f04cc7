package gracefx_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefx"
	"github.com/gracekit/grace/internal/testkit"
	"go.uber.org/fx"
)

// The test binary doubles as an fx service: with childEnv set, TestMain runs childMain instead
// of the tests. Its fx app (three constructors with hooks, wired through gracefx) runs under
// grace's real signal handling; each hook writes a line to standard output as it runs, and the
// process exits with the App's code.
const childEnv = "GRACEFX_CHILD"

func childMain() int {
	return testkit.ChildMain(func(app *grace.App, _ *slog.Logger) error {
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
		return fxApp.Err()
	}, grace.WithBudget(5*time.Second))
}
