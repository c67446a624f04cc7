// Command sdservice is the service the gracesystemd tests run under a real systemd (in the
// container of internal/sdcontainer): a grace app with a gracesystemd Notifier and an HTTP
// server whose listener comes from the file-descriptor store, a socket unit, or net.Listen.
// GET / answers "pid=<pid>"; GET /sleep?d=<duration> answers after d.
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/gracesystemd"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("sdservice", flag.ContinueOnError)
	listen := fs.String("listen", "", "address to serve HTTP on (empty: no HTTP server)")
	source := fs.String("source", "store", "where the listener comes from: store (gracesystemd.FDStore), activation (gracesystemd.Listeners), plain (net.Listen)")
	name := fs.String("name", "web", "the listener's name in the fd store")
	stopDelay := fs.Duration("stop-delay", 0, "how long the slow component takes to stop")
	stopTimeout := fs.Duration("stop-timeout", gracesystemd.DefaultStopTimeout, "gracesystemd.WithStopTimeout")
	extend := fs.Duration("extend", gracesystemd.DefaultExtendTimeout, "gracesystemd.WithExtendTimeout")
	budget := fs.Duration("budget", 30*time.Second, "grace.WithBudget")
	linger := fs.Duration("linger", 0, "gracehttp.WithLinger (0: its default)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	var n *gracesystemd.Notifier
	app := grace.New(grace.WithLogger(log), grace.WithBudget(*budget),
		grace.WithObserver(func(e grace.Event) { n.Observe(e) }))
	n = gracesystemd.New(app, gracesystemd.WithStopTimeout(*stopTimeout), gracesystemd.WithExtendTimeout(*extend), gracesystemd.WithLogger(log))
	app.Add("systemd", n, grace.StopsLast())

	if *listen != "" {
		l, err := listener(*source, *listen, *name)
		if err != nil {
			log.Error("listen", "error", err)
			return 3
		}
		fmt.Fprintf(os.Stderr, "serving on %s (%s)\n", l.Addr(), *source)
		pid := os.Getpid()
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "pid=%d", pid) })
		mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
			d, _ := time.ParseDuration(r.URL.Query().Get("d"))
			time.Sleep(d)
			io.WriteString(w, "slept")
		})
		opts := []gracehttp.Option{gracehttp.WithListener(l)}
		if *linger > 0 {
			opts = append(opts, gracehttp.WithLinger(*linger))
		}
		var states sync.Map // conn -> last state
		var newClosed atomic.Int64
		srv := &http.Server{Handler: mux, ConnState: func(c net.Conn, st http.ConnState) {
			prev, _ := states.Swap(c, st)
			if st == http.StateClosed {
				states.Delete(c)
				if prev == http.StateNew {
					newClosed.Add(1)
				}
			}
		}}
		defer func() {
			fmt.Fprintf(os.Stderr, "connections closed before their first request: %d\n", newClosed.Load())
		}()
		app.Add("http", gracehttp.New(srv, opts...))
	}
	if *stopDelay > 0 {
		d := *stopDelay
		app.Add("slow", grace.Hook{OnStop: func(ctx context.Context) error {
			select {
			case <-time.After(d):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
	}
	rep, err := app.Run(context.Background())
	if err != nil {
		log.Error("run", "error", err, "report", rep)
	}
	return rep.ExitCode
}

func listener(source, addr, name string) (net.Listener, error) {
	switch source {
	case "activation":
		ls, err := gracesystemd.Listeners()
		if err != nil {
			return nil, err
		}
		if len(ls) != 1 {
			return nil, fmt.Errorf("%d socket-activated listeners, want 1", len(ls))
		}
		return ls[0], nil
	case "plain":
		return net.Listen("tcp", addr)
	}
	return nil, errors.New("unknown -source " + source)
}
