package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/gracekit/grace"
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
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := grace.New(grace.WithBudget(c.budget), grace.WithDrainDelay(c.drainDelay), grace.WithLogger(logger),
		grace.WithExit(func(code int) { out.say("stopped"); os.Exit(code) }))
	fxApp := fx.New(
		fx.NopLogger,
		gracefx.Module(app, gracefx.WithStopTimeout(c.budget/2)),
		fx.Invoke(fxService{c: c, out: out}.hooks),
	)
	if err := fxApp.Err(); err != nil {
		logger.Error("fx", "error", err)
		return 1
	}
	go func() {
		<-app.Await(grace.PhaseReady)
		if app.Ready() {
			out.say("ready")
		}
	}()
	app.Main()
	return 0 // not reached: Main exits
}

// fxService appends the fx style's hooks: one OnStop per component, then the HTTP server's.
type fxService struct {
	c   config
	out *output
}

func (s fxService) hooks(lc fx.Lifecycle) {
	for _, comp := range components(s.c, s.out) {
		lc.Append(fx.Hook{OnStop: comp.close})
	}
	srv := &http.Server{Handler: withReadyz(handler())}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := listen(s.c.addr, s.out)
			if err != nil {
				return err
			}
			go srv.Serve(ln)
			return nil
		},
		OnStop: func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			drainTail(s.out)
			return err
		},
	})
}
