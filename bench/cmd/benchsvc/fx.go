package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"go.uber.org/fx"
)

// runFx registers each component's Close and the HTTP server as lifecycle hooks, in
// construction order (so the server stops first); fx handles the signals.
func runFx(c config) int {
	out := &output{}
	app := fx.New(
		fx.NopLogger,
		fx.StopTimeout(c.budget),
		fx.Invoke(fxService{c: c, out: out}.hooks),
	)
	// fx.App.Run in its parts, so "ready" is printed only once fx listens for signals.
	startCtx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		return 1
	}
	signals := app.Wait() // fx listens for signals from here on
	out.say("ready")
	<-signals
	stopCtx, cancelStop := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancelStop()
	code := 0
	if err := app.Stop(stopCtx); err != nil {
		fmt.Fprintln(os.Stderr, "stop:", err)
		code = 1
	}
	out.say("stopped")
	return code
}

// fxService appends the fx style's hooks: one OnStop per component, then the HTTP server's (so
// the server stops first).
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
