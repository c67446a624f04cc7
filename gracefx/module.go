package gracefx

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/gracekit/grace"
	"go.uber.org/fx"
)

// Module returns an fx.Option that gives the fx app's lifecycle to app, a grace App you built
// with grace.New: every hook that a constructor or invoke appends to the fx.Lifecycle becomes a
// component of app, named after the function that appended it ("server.NewHTTPServer"; a second
// hook from the same function gets "#2"), in the order appended. Providers are not rewritten:
// they still take an fx.Lifecycle and append fx.Hooks; Module decorates the fx.Lifecycle they
// are given.
//
// Then run app instead of the fx app: build the fx app with fx.New (which runs the
// constructors, and so appends the hooks), check its Err, and call app.Main or app.Run — not the
// fx app's Run, Start or Stop. app then gives the hooks grace's engine: OnStart hooks run in
// order, OnStop hooks in reverse (with no declarations, each hook depends on those appended
// before it, as in fx); the signal ladder; the drain delay, with readiness false while
// everything still serves; a limit per hook ([WithStopTimeout]), so a hung OnStop is abandoned
// and named while the hooks after it still run; a start that fails or times out stops the
// hooks that did start; and a report naming each hook, with the exit code.
//
// Module also supplies app to the fx graph (constructors may take a *grace.App, to serve its
// health, say — do not provide one yourself), and decorates fx.Shutdowner: Shutdown asks app to
// stop (the reason names fx.Shutdowner; options such as fx.ExitCode are not used).
//
// Use Module once, at the root of the fx app: fx applies a root decoration to every module. A
// hook appended after app began to run (from an OnStart, say) cannot become a component: it is
// logged as an error and not run.
func Module(app *grace.App, opts ...Option) fx.Option {
	l := &lifecycle{app: app, cfg: newConfig(opts), names: map[string]int{}}
	return fx.Options(
		fx.Supply(app),
		fx.Decorate(func(fx.Lifecycle) fx.Lifecycle { return l }),
		fx.Decorate(func(fx.Shutdowner) fx.Shutdowner { return shutdowner{app} }),
	)
}

// lifecycle is the fx.Lifecycle that Module gives constructors.
type lifecycle struct {
	app *grace.App
	cfg config

	mu    sync.Mutex
	names map[string]int
}

// Append adds h to the App as a component named after the caller.
func (l *lifecycle) Append(h fx.Hook) {
	name := "fx hook"
	if pc, _, _, ok := runtime.Caller(1); ok {
		if f := runtime.FuncForPC(pc); f != nil {
			name = shortName(f.Name())
		}
	}
	l.mu.Lock()
	l.names[name]++
	if n := l.names[name]; n > 1 {
		name = fmt.Sprintf("%s#%d", name, n)
	}
	l.mu.Unlock()
	if p := l.app.Phase(); p != grace.PhaseIdle {
		l.cfg.logger.Error("gracefx: fx hook appended while the app runs; it is not run", "hook", name, "phase", p)
		return
	}
	l.app.Add(name, grace.Hook{OnStart: h.OnStart, OnStop: h.OnStop}, l.cfg.hookOpts...)
}

// shortName drops the import path from a function's full name:
// "github.com/acme/svc/server.NewHTTPServer" becomes "server.NewHTTPServer".
func shortName(full string) string {
	if i := strings.LastIndex(full, "/"); i >= 0 {
		full = full[i+1:]
	}
	return full
}

// shutdowner is the fx.Shutdowner that Module gives constructors: it stops the grace App.
type shutdowner struct{ app *grace.App }

// Shutdown asks the App to stop; it does not wait.
func (s shutdowner) Shutdown(...fx.ShutdownOption) error {
	s.app.Stop("fx.Shutdowner")
	return nil
}
