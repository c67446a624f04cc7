// Command upgradesvc is one small HTTP service (GET / answers "ok", GET /readyz "ready")
// restarted on SIGHUP four ways, so that BenchmarkUpgrade can measure them side by side with
// gracedrill upgrade:
//
//	grace            graceupgrade, overlap mode: the successor starts while the parent serves
//	gracesequential  graceupgrade, sequential mode: the successor takes the socket and starts its
//	                 components once the parent has stopped
//	tableflip        github.com/cloudflare/tableflip in the idiom of its documentation
//	restart          stop, then start: the process closes its listener, drains, then starts a new
//	                 copy of itself that binds the port anew (what a supervisor's restart does)
//
// Each writes its PID to -pid-file once it serves, which is how the drill (and a supervisor)
// sees the new process take over. Each is written as its documentation shows.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	style := flag.String("style", "grace", "grace, gracesequential, tableflip or restart")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	pidFile := flag.String("pid-file", "", "where the serving process writes its PID")
	flag.Parse()
	if *pidFile == "" {
		fmt.Fprintln(os.Stderr, "upgradesvc: -pid-file is required")
		os.Exit(2)
	}
	run := map[string]func(addr, pidFile string) int{
		"grace": runGrace, "gracesequential": runGraceSequential, "tableflip": runTableflip, "restart": runRestart,
	}[*style]
	if run == nil {
		fmt.Fprintf(os.Stderr, "upgradesvc: unknown -style %q\n", *style)
		os.Exit(2)
	}
	os.Exit(run(*addr, *pidFile))
}

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ready\n") })
	return mux
}

const budget = 10 * time.Second
