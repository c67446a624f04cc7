package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/drill"
	"github.com/gracekit/grace/cmd/gracedrill/internal/htmlreport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/junit"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// Exit codes.
const (
	exitPass  = 0
	exitFail  = 1
	exitUsage = 2
)

// run is the whole program: it parses args, runs the drill, writes the summary to stdout and the
// reports to their files, and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "compare" {
		return compareCmd(args[1:], stdout, stderr)
	}
	started := time.Now()
	c, err := config.Parse(args, stderr)
	if code, done := parsed(stderr, "gracedrill", err); done {
		return code
	}
	var res drill.Result
	switch {
	case c.Mode == config.ModeRollout:
		res, err = drill.Rollout(ctx, c, stderr)
	case c.External():
		res, err = drill.External(ctx, c, stderr)
	default:
		res, err = drill.Run(ctx, c, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gracedrill: %s\n", err)
		failed := summary.Summary{Mode: c.Mode, Verdict: summary.Fail, Reasons: []string{err.Error()},
			Checks: []summary.Check{{Name: summary.CheckDrill, Reasons: []string{err.Error()}}}}
		fmt.Fprintln(stdout, summary.ResultLine(failed))
		if c.JUnit != "" {
			if err := junit.Write(c.JUnit, junit.FromSummary(failed, started, time.Since(started))); err != nil {
				fmt.Fprintf(stderr, "gracedrill: %s\n", err)
			}
		}
		return exitFail
	}
	code := exitPass
	if res.Summary.Verdict != summary.Pass {
		code = exitFail
	}
	if err := summary.WriteText(stdout, res.Summary); err != nil {
		fmt.Fprintf(stderr, "gracedrill: write summary: %s\n", err)
		code = exitFail
	}
	if c.JSON != "" {
		if err := jsonreport.Write(c.JSON, res.Summary, res.Requests, res.Events); err != nil {
			fmt.Fprintf(stderr, "gracedrill: %s\n", err)
			code = exitFail
		}
	}
	if c.HTML != "" {
		if err := htmlreport.WriteFile(c.HTML, res.Summary, res.Requests, res.Events); err != nil {
			fmt.Fprintf(stderr, "gracedrill: %s\n", err)
			code = exitFail
		}
	}
	if c.JUnit != "" {
		if err := junit.Write(c.JUnit, junit.FromSummary(res.Summary, started, time.Since(started))); err != nil {
			fmt.Fprintf(stderr, "gracedrill: %s\n", err)
			code = exitFail
		}
	}
	return code
}

// parsed reports what a command line's parse error means for the exit: help was printed (exit
// 0), or the command line is bad — said on stderr after cmd, with how to get help — (exit 2).
// done is false when err is nil.
func parsed(stderr io.Writer, cmd string, err error) (code int, done bool) {
	var usage *config.UsageError
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, config.ErrHelp):
		return exitPass, true
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "%s: %s\n(run \"%s -h\" for help)\n", cmd, usage.Msg, cmd)
	default:
		fmt.Fprintf(stderr, "%s: %s\n", cmd, err)
	}
	return exitUsage, true
}
