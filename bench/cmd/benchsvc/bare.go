package main

import (
	"fmt"
	"os"
)

// runBare is net/http with no lifecycle at all: the handler on a plain http.Server, no signal
// handling (SIGTERM kills the process), no components. It is the throughput baseline.
func runBare(_ config, p plain) int {
	p.out.say("ready")
	fmt.Fprintln(os.Stderr, "serve:", p.srv.Serve(p.ln))
	return 1
}
