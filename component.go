package grace

import (
	"context"
	"io"
)

// A component is anything with a lifecycle that [App.Add] accepts. It implements one or more of
// the one-method interfaces below; the engine finds them by type assertion. [Hook] and the func
// types adapt plain functions.
//
// The engine calls each method at most once per run (a [Runner] restarted after a panic is the
// exception), from a goroutine of its own, labelled with the component's name for hang
// forensics. A call that outlives its limit is abandoned: the engine stops waiting, reports the
// component as timed out, and goes on; the call's goroutine is left to finish on its own.

// Starter is a component that must do something before the app is ready: open a pool, bind a
// listener, run migrations. Start must return once the component is usable; work that goes on
// belongs in a [Runner]. ctx is cancelled if the start times out or a stop is requested meanwhile.
// A component whose Start returned an error is not stopped; its dependencies are.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is a component that must be stopped. Stop is called at the component's turn: after
// everything that depends on it has stopped. It should return once the component has released
// what it holds. ctx carries the component's deadline (its limit, capped by what is left of the
// app's budget); past it Stop should give up quickly and return ctx's error.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Runner is a long-running worker. Run is started (in its own goroutine) once the component's
// dependencies are up; the component counts as started at once. At its turn to stop, ctx is
// cancelled — unless the component is also a [Stopper], in which case Stop is called first and
// ctx is cancelled only when the stop deadline passes (a soft stop, then a hard one). Run
// returning nil before the stop means the work is done; returning an error (or panicking)
// while the app runs stops the app with that error — see [RestartOnPanic] for the alternative.
type Runner interface {
	Run(ctx context.Context) error
}

// Drainer is told, when the app starts draining, that the stop has begun: the place for pre-stop
// work such as taking the instance out of service discovery or asking persistent clients to go
// elsewhere. Every Drainer runs concurrently with the drain delay; the app enters PhaseStopping
// only after each Drain returned or hit its limit. ctx carries the component's stop limit.
type Drainer interface {
	Drain(ctx context.Context) error
}

// Quieter is a component that can tell when traffic has stopped arriving during a drain. When an
// app has at least one Quieter, its drain delay ends early once every Quieter's channel is
// closed (the report says "quiet"), so a drain lasts as long as the load balancer needs and no
// longer. Quiet is called once, after every Drain has been called.
type Quieter interface {
	Quiet() <-chan struct{}
}

// Validator is a component that can check its own configuration. [App.Run] and [App.Plan]
// call Validate before anything starts and report its error, with every other problem, in the
// [ConfigError] — so a bad option fails fast, before any component starts.
type Validator interface {
	Validate() error
}

// Hook makes a component of plain functions. Nil fields do nothing. Its zero value is a
// component that does nothing, which is still useful as a named point in the dependency graph.
type Hook struct {
	OnStart func(ctx context.Context) error
	OnDrain func(ctx context.Context) error
	OnStop  func(ctx context.Context) error
}

// Start calls h.OnStart, if set.
func (h Hook) Start(ctx context.Context) error { return call(ctx, h.OnStart) }

// Drain calls h.OnDrain, if set.
func (h Hook) Drain(ctx context.Context) error { return call(ctx, h.OnDrain) }

// Stop calls h.OnStop, if set.
func (h Hook) Stop(ctx context.Context) error { return call(ctx, h.OnStop) }

func call(ctx context.Context, f func(context.Context) error) error {
	if f == nil {
		return nil
	}
	return f(ctx)
}

// StopFunc adapts a function to [Stopper].
type StopFunc func(ctx context.Context) error

// Stop calls f.
func (f StopFunc) Stop(ctx context.Context) error { return f(ctx) }

// RunFunc adapts a function to [Runner]: a worker whose ctx is cancelled at its turn to stop.
type RunFunc func(ctx context.Context) error

// Run calls f.
func (f RunFunc) Run(ctx context.Context) error { return f(ctx) }

// Closer makes a [Stopper] of an io.Closer such as *sql.DB or a client SDK. Close ignores
// contexts, so the engine's limit is what bounds it: a Close that hangs is abandoned at the
// component's deadline and reported, and goroutines it leaves behind are listed in the report.
func Closer(c io.Closer) Stopper {
	return StopFunc(func(context.Context) error { return c.Close() })
}
