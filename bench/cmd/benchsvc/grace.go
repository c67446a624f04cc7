package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/gracekit/grace"
)

// runGrace adds each component as independent (nothing uses another) and the HTTP server last,
// so by the safe default it stops before all of them.
func runGrace(c config) int {
	out := &output{}
	app := grace.New(grace.WithBudget(c.budget), grace.WithDrainDelay(c.drainDelay),
		grace.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		grace.WithExit(func(code int) { out.say("stopped"); os.Exit(code) }))
	for _, comp := range components(c, out) {
		app.Add(comp.name, grace.StopFunc(comp.close), grace.Independent(), grace.StopTimeout(c.budget))
	}
	app.Add("http", httpComponent(c, out))
	go func() {
		<-app.Await(grace.PhaseReady)
		if app.Ready() {
			out.say("ready")
		}
	}()
	app.Main()
	return 0 // not reached: Main exits
}

// httpComponent serves the handler; it is replaced by gracehttp once that lands.
func httpComponent(c config, out *output) grace.Hook {
	srv := &http.Server{Handler: handler()}
	return grace.Hook{
		OnStart: func(ctx context.Context) error {
			ln, err := listen(c.addr, out)
			if err != nil {
				return err
			}
			go srv.Serve(ln)
			return nil
		},
		OnStop: func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			drainTail(out)
			return err
		},
	}
}
