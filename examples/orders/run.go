package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/gracekit/grace/examples/orders/internal/config"
	"github.com/gracekit/grace/examples/orders/internal/service"
)

// ExitUsage is the exit code for bad flags or environment: nothing was started.
const ExitUsage = 2

// run parses the configuration from args and env, then runs the service until it stops, and
// returns the process's exit code: 2 for bad configuration (reported before anything starts),
// otherwise grace's exit code (0 for a clean stop).
func run(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer) int {
	cfg, err := config.Parse(args, env, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "orders: %v\n", err)
		return ExitUsage
	}
	var h slog.Handler
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	} else {
		h = slog.NewTextHandler(stderr, nil)
	}
	log := slog.New(h)
	if cfg.Naive {
		return service.RunNaive(ctx, cfg, log, stdout)
	}
	return service.Run(ctx, cfg, log, stdout)
}
