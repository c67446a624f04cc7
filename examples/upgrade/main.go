// Command upgrade is a small stateless HTTP service that restarts in place without refusing a
// connection: on SIGHUP (or a POST to its admin endpoint, when turned on) it starts its
// successor — the binary at its path now, so a replaced binary runs — hands it the listening
// socket, and drains and exits once the successor is ready. A successor that fails to start or
// is not ready in time is stopped; the running process goes on serving.
//
//	go build -o /tmp/upgrade ./examples/upgrade
//	/tmp/upgrade -addr 127.0.0.1:8080 &
//	kill -HUP $!            # upgrade; curl keeps getting answers, from the new PID
//
// Under systemd, use Type=notify-reload (or Type=notify with ExecReload=/bin/kill -HUP
// $MAINPID) and NotifyAccess=all: the successor becomes the unit's main process.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/graceupgrade"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address (used by the first process; successors inherit the socket)")
	readyTimeout := flag.Duration("ready-timeout", 10*time.Second, "how long a successor may take to become ready")
	startDelay := flag.Duration("start-delay", 0, "simulated start work (cache warm-up) before the service is ready")
	budget := flag.Duration("budget", 10*time.Second, "the stop budget")
	pidFile := flag.String("pid-file", "", "write the serving process's PID here")
	admin := flag.String("admin", "", "admin endpoint address (POST /upgrade); loopback unless -admin-token is set")
	token := flag.String("admin-token", "", "bearer token the admin endpoint requires")
	flag.Parse()
	if p := os.Getenv("PORT"); p != "" && !isFlagSet("addr") {
		*addr = "127.0.0.1:" + p
	}

	app := grace.New(grace.WithBudget(*budget))
	opts := []graceupgrade.Option{graceupgrade.WithReadyTimeout(*readyTimeout)}
	if *pidFile != "" {
		opts = append(opts, graceupgrade.WithPIDFile(*pidFile))
	}
	if *admin != "" {
		opts = append(opts, graceupgrade.WithAdmin(*admin, *token))
	}
	up := graceupgrade.New(app, opts...)
	ln, err := up.Listen("http", "tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "upgrade:", err)
		os.Exit(grace.ExitStartFailed)
	}
	app.Add("upgrade", up, grace.StopsLast())
	app.Add("warm-up", warmUp(*startDelay))
	pid := strconv.Itoa(os.Getpid())
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", pid)
	})
	app.Add("http", gracehttp.New(&http.Server{Handler: mux}, gracehttp.WithListener(ln), gracehttp.WithHealth(app)))
	app.Main()
}

// warmUp stands for the work a real start does (pools, caches, migrations): the service is ready,
// and a successor takes over, only once it is done.
func warmUp(d time.Duration) grace.Hook {
	return grace.Hook{OnStart: func(ctx context.Context) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
}

func isFlagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
