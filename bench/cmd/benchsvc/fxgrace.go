package main

import (
	"github.com/gracekit/grace/gracefx"
	"go.uber.org/fx"
)

// runFxGrace is the fx style's app — the same hooks appended to the same fx.Lifecycle — wired
// through gracefx.Module and run by a grace App instead of fx's Start and Stop: each hook is a
// grace component with a stop limit of its own (half the budget, so that the hooks after a hung
// one still have time), named after the function that appended it ("main.fxService.hooks",
// "#2" …, in the order appended).
func runFxGrace(c config) int {
	out := &output{}
	app, logger := graceApp(c, out)
	fxApp := fx.New(
		fx.NopLogger,
		gracefx.Module(app, gracefx.WithStopTimeout(c.budget/2)),
		fx.Invoke(fxService{c: c, out: out}.hooks),
	)
	if err := fxApp.Err(); err != nil {
		logger.Error("fx", "error", err)
		return 1
	}
	return mainWhenReady(app, out)
}
