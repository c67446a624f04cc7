package gracefx

import (
	"context"

	"go.uber.org/fx"
)

// Component runs a whole fx app as one grace component — for a program moving over to grace
// piece by piece: the fx app keeps its own lifecycle, and grace runs it beside components of its
// own, under grace's signal ladder, drain delay, budget, report and exit code.
//
// Inside the fx app, fx's rules still hold: its hooks run one at a time under the one deadline
// grace gives the component, a hung OnStop makes fx skip the hooks after it, and a start that
// times out skips the stop hooks of the hooks that did start (fx #1035) — the component's report
// names the fx app, not the hook. [Module] lifts those limits by making each hook a grace
// component.
type Component struct {
	app *fx.App
}

// NewComponent returns a component for app, built with fx.New. Do not call app's Run, Start or
// Stop yourself. fx.Shutdowner does not reach grace here (use [Module] for that).
func NewComponent(app *fx.App) *Component { return &Component{app: app} }

// Validate returns the fx app's construction error (app.Err), so that a missing dependency is
// reported with every other configuration problem before anything starts.
func (c *Component) Validate() error { return c.app.Err() }

// Start starts the fx app: its OnStart hooks, in order, under ctx.
func (c *Component) Start(ctx context.Context) error { return c.app.Start(ctx) }

// Stop stops the fx app: its OnStop hooks, in reverse order, under ctx.
func (c *Component) Stop(ctx context.Context) error { return c.app.Stop(ctx) }
