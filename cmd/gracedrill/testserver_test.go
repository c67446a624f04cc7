package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
)

// testServer is the service under test, run when the test binary is started as
// "TESTBINARY testserver KIND --addr HOST:PORT [--drain D]". Kinds:
//
//	naive    no signal handling: SIGTERM kills it mid-request
//	nodelay  on SIGTERM: readiness 503 and Shutdown at once, no delay for the load balancer
//	careful  on SIGTERM: readiness 503, wait --drain for the load balancer, then Shutdown
//	grace    a grace app with a gracehttp server: drain delay --drain, health from the app
//	never    never ready (readiness always 503)
//	crash    exits 3 at once
//	admits   like grace, plus a job queue whose stop loses 7 accepted jobs (grace.Accounter): the
//	         app's report admits the loss and its exit code is grace.ExitLost (6)
//
// --log-json FILE makes grace (and admits) log as JSON to FILE, as a service writing its log
// to a file a drill reads.
func testServer(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "testserver: kind missing")
		return 2
	}
	kind := args[0]
	fs := flag.NewFlagSet("testserver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	drain := fs.Duration("drain", time.Second, "careful: delay between readiness 503 and Shutdown")
	pidfile := fs.String("pidfile", "", "write the process id here")
	dieAfter := fs.Duration("die-after", 0, "exit 5 on its own this long after starting")
	logJSON := fs.String("log-json", "", "log as JSON to this file (appending), or to stderr for -")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *pidfile != "" {
		if err := os.WriteFile(*pidfile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "testserver:", err)
			return 1
		}
	}
	if *dieAfter > 0 {
		time.AfterFunc(*dieAfter, func() { os.Exit(5) })
	}
	if kind == "crash" {
		fmt.Fprintln(os.Stderr, "testserver: crashing on purpose")
		return 3
	}
	var ready atomic.Bool
	ready.Store(kind != "never")
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "slow ok\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok\n")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		return 1
	}
	logger := slog.Default()
	switch *logJSON {
	case "":
	case "-":
		logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	default:
		f, err := os.OpenFile(*logJSON, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testserver:", err)
			return 1
		}
		defer f.Close()
		logger = slog.New(slog.NewJSONHandler(f, nil))
	}
	if kind == "grace" || kind == "admits" {
		app := grace.New(grace.WithDrainDelay(*drain), grace.WithBudget(10*time.Second), grace.WithLogger(logger))
		if kind == "admits" {
			app.Add("jobs", lossyQueue{lost: 7})
		}
		app.Add("http", gracehttp.New(srv, gracehttp.WithListener(ln), gracehttp.WithHealth(app)))
		app.Main() // exits with the report's code
		return 1
	}
	if kind == "naive" {
		err := srv.Serve(ln) // SIGTERM's default action ends the process mid-request
		fmt.Fprintln(os.Stderr, "testserver:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	served := make(chan error, 1) // one sender
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintln(os.Stderr, "testserver:", err)
		return 1
	case <-ctx.Done():
	}
	ready.Store(false)
	if kind == "careful" {
		time.Sleep(*drain) // let the load balancer see readiness fail and stop sending
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "testserver: shutdown:", err)
		return 1
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		return 1
	}
	return 0
}

// lossyQueue is a job queue that, at its stop, leaves jobs it accepted undone and says so.
type lossyQueue struct{ lost int64 }

func (q lossyQueue) Stop(context.Context) error { return nil }

func (q lossyQueue) Account() grace.Account { return grace.Account{Unit: "jobs", Lost: q.lost} }
