package main

import (
	"fmt"
	"net/http"
	"os"
)

// runBare is net/http with no lifecycle at all: the handler on a plain http.Server, no signal
// handling (SIGTERM kills the process), no components. It is the throughput baseline.
func runBare(c config) int {
	out := &output{}
	ln, err := listen(c.addr, out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: withReadyz(handler())}
	out.say("ready")
	fmt.Fprintln(os.Stderr, "serve:", srv.Serve(ln))
	return 1
}
