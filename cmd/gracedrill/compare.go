package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/gracekit/grace/cmd/gracedrill/internal/compare"
	"github.com/gracekit/grace/cmd/gracedrill/internal/htmlreport"
)

// compareCmd is "gracedrill compare A.json B.json ... [--html FILE]": the headline figures of the
// runs as a table on stdout and, with --html, one page drawing them side by side.
func compareCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gracedrill compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	htmlPath := fs.String("html", "", "write a page with every run on the same axes to `FILE`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gracedrill compare A.json B.json ... [--html FILE]\n\nReports are those written by gracedrill run/rollout --json.\n\nflags:")
		fs.PrintDefaults()
	}
	var files []string
	for rest := args; ; { // flags may come before, between or after the files
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitPass
			}
			fmt.Fprintf(stderr, "gracedrill compare: %s\n", err)
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	runs, err := compare.Load(files)
	if err != nil {
		fmt.Fprintf(stderr, "gracedrill %s\n", err)
		return exitUsage
	}
	if err := compare.WriteTable(stdout, runs); err != nil {
		fmt.Fprintf(stderr, "gracedrill compare: %s\n", err)
		return exitFail
	}
	if *htmlPath != "" {
		var pageRuns []htmlreport.CompareRun
		for _, r := range runs {
			pageRuns = append(pageRuns, htmlreport.CompareRun{Name: r.Name, Verdict: r.Report.Verdict, Timeline: r.Report.Timeline})
		}
		var rows []htmlreport.CompareRow
		for _, r := range compare.Rows(runs) {
			rows = append(rows, htmlreport.CompareRow{Label: r.Label, Values: r.Values})
		}
		if err := htmlreport.WriteCompareFile(*htmlPath, pageRuns, rows); err != nil {
			fmt.Fprintf(stderr, "gracedrill: %s\n", err)
			return exitFail
		}
	}
	return exitPass
}
