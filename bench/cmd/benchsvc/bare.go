package main

import (
	"fmt"
	"os"
)

// runBare is net/http with no lifecycle at all: the handler on a plain http.Server, no signal
// handling (SIGTERM kills the process), no components. It is the throughput baseline.
func runBare(c config) int {
	out := &output{}
	ln, srv, ok := plainServer(c, out)
	if !ok {
		return 1
	}
	out.say("ready")
	fmt.Fprintln(os.Stderr, "serve:", srv.Serve(ln))
	return 1
}
