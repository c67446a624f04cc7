package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

// runStdlib is the seed's pattern: signal.Notify, Shutdown with a timeout, then close the
// components one after another (newest first).
func runStdlib(c config, p plain) int {
	out, ln, srv := p.out, p.ln, p.srv
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	comps := components(c, out)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	out.say("ready")
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), c.budget)
	defer cancel()
	code := 0
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		code = 1
	}
	drainTail(out)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "serve:", err)
	}
	for i := len(comps) - 1; i >= 0; i-- {
		if err := comps[i].close(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "close:", err)
			code = 1
		}
	}
	out.say("stopped")
	return code
}
