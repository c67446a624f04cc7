// Command gracevet reports the mistakes that break graceful shutdown in Go services: blocking
// calls in HTTP handlers that ignore the request context, request-body copies that cannot be
// interrupted, goroutine loops with no way out, exits that skip cleanup, ListenAndServe errors
// treated as fatal, and tickers and signal registrations that are never undone.
//
// Run it on packages directly, or as go vet's analysis tool:
//
//	gracevet ./...
//	go vet -vettool=$(which gracevet) ./...
//
// With -json, diagnostics (and suggested fixes) are printed as JSON on standard output. The exit
// status is go vet's: 0 when nothing is found, 1 when something is found or the packages do not
// load; with -json it is 0 unless the packages do not load. gracevet help lists the analyzers;
// -NAME=false turns one off, -NAME runs only the named ones.
package main

import (
	"os"

	"golang.org/x/tools/go/analysis/multichecker"

	"github.com/gracekit/grace/cmd/gracevet/internal/suite"
)

func main() {
	if standalone(os.Args[1:]) && os.Getenv(childEnv) == "" {
		os.Exit(relaunch(os.Args[1:]))
	}
	multichecker.Main(suite.Analyzers()...)
}
