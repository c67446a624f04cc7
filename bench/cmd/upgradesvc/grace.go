package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/graceupgrade"
)

func runGrace(addr, pidFile string) int { return runGraceMode(addr, pidFile, graceupgrade.Overlap) }

func runGraceSequential(addr, pidFile string) int {
	return runGraceMode(addr, pidFile, graceupgrade.Sequential)
}

// runGraceMode is the package doc's example: the Upgrader added with StopsLast, the listener
// from it, gracehttp serving on it.
func runGraceMode(addr, pidFile string, mode graceupgrade.Mode) int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := grace.New(grace.WithBudget(budget), grace.WithLogger(logger))
	up := graceupgrade.New(app, graceupgrade.WithMode(mode), graceupgrade.WithPIDFile(pidFile), graceupgrade.WithLogger(logger))
	ln, err := up.Listen("http", "tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	app.Add("upgrade", up, grace.StopsLast())
	app.Add("http", gracehttp.New(&http.Server{Handler: handler()}, gracehttp.WithListener(ln), gracehttp.WithLogger(logger)))
	app.Main()
	return 0 // not reached: Main exits
}
