// Command prebuild builds and caches the golangci-lint binary with gracevet's plugin (see
// package gclbuild), so that the end-to-end test finds it ready. scripts/test starts it in the
// background while the other modules' tests run. Run it from the cmd/gracevet directory.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gracekit/grace/cmd/gracevet/internal/gclbuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		stop()
		cancel()
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cache, err := gclbuild.CacheDir()
	if err != nil {
		return err
	}
	start := time.Now()
	bin, err := gclbuild.Build(ctx, cache, ".", os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("%s (%s)\n", bin, time.Since(start).Round(time.Second))
	return nil
}
