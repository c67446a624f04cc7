// Command sdservice is the service the gracesystemd tests run under a real systemd (in the
// container of internal/sdcontainer): a grace app with a gracesystemd Notifier and an HTTP
// server whose listener comes from the file-descriptor store, a socket unit, or net.Listen.
// GET / answers "pid=<pid>"; GET /sleep?d=<duration> answers after d. With -source upgrade it
// also has a graceupgrade.Upgrader: SIGHUP (systemctl reload of a Type=notify-reload unit) starts
// a successor that takes the socket and the unit's main PID over.
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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/gracesystemd"
	"github.com/gracekit/grace/graceupgrade"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("sdservice", flag.ContinueOnError)
	listen := fs.String("listen", "", "address to serve HTTP on (empty: no HTTP server)")
	source := fs.String("source", "store", "where the listener comes from: store (gracesystemd.FDStore), activation (gracesystemd.Listeners), plain (net.Listen), upgrade (graceupgrade: SIGHUP starts a successor that takes the socket over)")
	name := fs.String("name", "web", "the listener's name in the fd store")
	var extra, drop list
	fs.Var(&extra, "extra", "NAME=ADDR: another stored listener, serving the same handler (repeatable)")
	fs.Var(&drop, "drop", "a stored name to remove (FDStore.Remove) at start (repeatable)")
	stopDelay := fs.Duration("stop-delay", 0, "how long the slow component takes to stop")
	timeoutStopSec := fs.Duration("timeout-stop-sec", gracesystemd.DefaultTimeoutStopSec, "gracesystemd.WithTimeoutStopSec")
	extend := fs.Duration("extend", gracesystemd.DefaultExtendTimeout, "gracesystemd.WithExtendTimeout")
	budget := fs.Duration("budget", 30*time.Second, "grace.WithBudget")
	linger := fs.Duration("linger", 0, "gracehttp.WithLinger (0: its default)")
	store := fs.Bool("store", false, "with -source upgrade: also keep the listener in systemd's fd store (gracesystemd.Store)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	app := grace.New(grace.WithLogger(log), grace.WithBudget(*budget))
	app.Add("systemd", gracesystemd.New(app, gracesystemd.WithTimeoutStopSec(*timeoutStopSec),
		gracesystemd.WithExtendTimeout(*extend), gracesystemd.WithLogger(log)), grace.StopsLast())

	if *listen != "" {
		var ls []net.Listener
		var err error
		if *source == "upgrade" {
			up := graceupgrade.New(app, graceupgrade.WithLogger(log), graceupgrade.WithReadyTimeout(20*time.Second))
			app.Add("upgrade", up, grace.StopsLast())
			var l net.Listener
			if l, err = up.Listen(*name, "tcp", *listen); err == nil {
				ls = []net.Listener{l}
				if *store { // graceupgrade took it from the fd store by name if systemd passed it
					err = gracesystemd.Store(*name, l.(syscall.Conn))
				}
			}
		} else {
			ls, err = listener(*source, *listen, *name, extra, drop)
		}
		if err != nil {
			log.Error("listen", "error", err)
			return 3
		}
		for _, l := range ls {
			fmt.Fprintf(os.Stderr, "serving on %s (%s)\n", l.Addr(), *source)
		}
		pid := os.Getpid()
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "pid=%d", pid) })
		mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
			d, _ := time.ParseDuration(r.URL.Query().Get("d"))
			time.Sleep(d)
			io.WriteString(w, "slept")
		})
		var opts []gracehttp.Option
		for _, l := range ls {
			opts = append(opts, gracehttp.WithListener(l))
		}
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

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func listener(source, addr, name string, extra, drop []string) ([]net.Listener, error) {
	switch source {
	case "store":
		var store gracesystemd.FDStore
		for _, d := range drop {
			if err := store.Remove(d); err != nil {
				return nil, err
			}
		}
		l, err := store.Listen("tcp", addr, name)
		if err != nil {
			return nil, err
		}
		ls := []net.Listener{l}
		for _, e := range extra {
			n, a, _ := strings.Cut(e, "=")
			el, err := store.Listen("tcp", a, n)
			if err != nil {
				return nil, err
			}
			ls = append(ls, el)
		}
		pruned, err := store.Prune()
		if len(pruned) > 0 {
			fmt.Fprintf(os.Stderr, "pruned %v\n", pruned)
		}
		return ls, err
	case "activation":
		ls, err := gracesystemd.Listeners()
		if err != nil {
			return nil, err
		}
		if len(ls) != 1 {
			return nil, fmt.Errorf("%d socket-activated listeners, want 1", len(ls))
		}
		return ls, nil
	case "plain":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		return []net.Listener{l}, nil
	}
	return nil, errors.New("unknown -source " + source)
}
