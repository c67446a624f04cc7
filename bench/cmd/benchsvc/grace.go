package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
)

// runGrace adds each component as independent (nothing uses another) and the HTTP server, a
// gracehttp.Server with its health handler on /readyz and /livez, last, so by the safe default
// it stops before all of them. -drain-delay is the app's drain delay; -quiet-period ends it early
// once traffic stopped arriving.
func runGrace(c config) int {
	out := &output{}
	app, logger := graceApp(c, out)
	for _, comp := range components(c, out) {
		app.Add(comp.name, grace.StopFunc(comp.close), grace.Independent(), grace.StopTimeout(c.budget))
	}
	ln, err := listen(c.addr, out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	opts := []gracehttp.Option{gracehttp.WithListener(ln), gracehttp.WithHealth(app), gracehttp.WithLogger(logger)}
	if c.quiet > 0 {
		opts = append(opts, gracehttp.WithQuietPeriod(c.quiet))
	}
	srv := gracehttp.New(&http.Server{Handler: handler()}, opts...)
	app.Add("http", &tailed{Server: srv, out: out})
	return mainWhenReady(app, out)
}

// tailed is the gracehttp server (its Start, Run, Drain and Quiet promoted) whose Stop also
// prints the drain tail once the server's own Stop returned, as the other styles do after
// Shutdown.
type tailed struct {
	*gracehttp.Server
	out *output
}

func (t *tailed) Stop(ctx context.Context) error {
	err := t.Server.Stop(ctx)
	drainTail(t.out)
	return err
}

// graceApp is the app of the grace styles: the flags' budget and drain delay, warnings logged to
// stderr, "stopped" printed just before the exit.
func graceApp(c config, out *output) (*grace.App, *slog.Logger) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := grace.New(grace.WithBudget(c.budget), grace.WithDrainDelay(c.drainDelay), grace.WithLogger(logger),
		grace.WithExit(func(code int) { out.say("stopped"); os.Exit(code) }))
	return app, logger
}

// mainWhenReady prints "ready" once app is ready, and runs it with Main, which exits.
func mainWhenReady(app *grace.App, out *output) int {
	go func() {
		<-app.Await(grace.PhaseReady)
		if app.Ready() {
			out.say("ready")
		}
	}()
	app.Main()
	return 0 // not reached: Main exits
}
