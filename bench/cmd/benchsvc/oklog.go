package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/oklog/run"
)

// runOklog puts a signal handler, the HTTP server and each component in a run.Group. Run calls
// the interrupts in order: the server's Shutdown drains, then each component's actor, told to
// stop, closes its component; Run returns once every actor returned.
func runOklog(c config, p plain) int {
	out, ln, srv := p.out, p.ln, p.srv
	var g run.Group
	// run.SignalHandler calls signal.Notify only once its actor runs, after "ready" could be
	// printed; register first, then hand the channel to an actor of the same shape.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	quit := make(chan struct{})
	g.Add(func() error {
		select {
		case s := <-sig:
			return run.SignalError{Signal: s}
		case <-quit:
			return nil
		}
	}, func(error) { close(quit) })
	g.Add(func() error { return srv.Serve(ln) }, func(error) {
		ctx, cancel := context.WithTimeout(context.Background(), c.budget)
		defer cancel()
		srv.Shutdown(ctx)
		drainTail(out)
	})
	// Each component is an actor that closes it once interrupted: oklog/run's idiom (a quick
	// interrupt, the work in the actor), so the components close concurrently, after the server.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, comp := range components(c, out) {
		g.Add(func() error {
			<-ctx.Done()
			cctx, ccancel := context.WithTimeout(context.Background(), c.budget)
			defer ccancel()
			return comp.close(cctx)
		}, func(error) { cancel() })
	}
	out.say("ready")
	err := g.Run()
	out.say("stopped")
	var se run.SignalError
	if err != nil && !asSignal(err, &se) {
		fmt.Fprintln(os.Stderr, "run:", err)
		return 1
	}
	return 0
}

func asSignal(err error, se *run.SignalError) bool { return errors.As(err, se) }
