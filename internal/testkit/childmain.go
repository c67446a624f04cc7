package testkit

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/gracekit/grace"
)

// ChildMain is the main of a test binary run again as a child process ([StartChild]): it makes
// an app that logs warnings and errors to standard error, handles the process's real signals and
// has opts, lets build add the components (with the app's logger, for them to log the same
// way), runs app.Main and returns the app's exit code, for TestMain's os.Exit. If build returns
// an error, ChildMain prints it to standard error and returns 2 without running the app.
func ChildMain(build func(app *grace.App, logger *slog.Logger) error, opts ...grace.Option) int {
	code := -1
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := grace.New(append([]grace.Option{grace.WithLogger(logger), grace.WithExit(func(c int) { code = c })}, opts...)...)
	if err := build(app, logger); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	app.Main()
	return code
}

// ChildConsumer is [ChildMain] for a consumer process of [Ledger.ChildRuns]: it opens the file
// named by the environment variable outEnv for appending and gives build handled, the function
// the consumer's handler returns with each value. handled does some work (half a millisecond,
// so that a signal lands mid-stream) and appends the value as a line, for [Ledger.ReadFile].
func ChildConsumer(outEnv string, build func(app *grace.App, logger *slog.Logger, handled func(value []byte) error) error) int {
	out, err := os.OpenFile(os.Getenv(outEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer out.Close()
	handled := func(value []byte) error {
		time.Sleep(500 * time.Microsecond)
		_, err := out.Write(append(slices.Clip(value), '\n'))
		return err
	}
	return ChildMain(func(app *grace.App, logger *slog.Logger) error { return build(app, logger, handled) })
}

// RunChild is the first statement of TestMain in a test binary that [StartChild] runs again as a
// child process: when the environment variable env is set, the binary is that child, and
// RunChild runs main and exits the process with its code. Otherwise it returns, and TestMain
// runs the tests.
func RunChild(env string, main func() int) {
	if os.Getenv(env) != "" {
		os.Exit(main())
	}
}
