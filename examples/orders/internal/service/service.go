// Package service wires the orders service's parts into a grace app, and — for comparison — into
// the seed's hand-written shutdown (see naive.go).
package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/examples/orders/internal/api"
	"github.com/gracekit/grace/examples/orders/internal/broker"
	"github.com/gracekit/grace/examples/orders/internal/config"
	"github.com/gracekit/grace/examples/orders/internal/fulfil"
	"github.com/gracekit/grace/examples/orders/internal/jobs"
	"github.com/gracekit/grace/examples/orders/internal/metrics"
	"github.com/gracekit/grace/examples/orders/internal/store"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/gracepgx"
	"github.com/gracekit/grace/gracesql"
	"github.com/gracekit/grace/graceupgrade"
)

// Component names, as they appear in logs and the shutdown report.
const (
	CompPGPool     = "pgx-pool"
	CompDB         = "db"
	CompMigrate    = "migrate"
	CompNATSServer = "nats-server"
	CompBroker     = "broker"
	CompFulfilment = "fulfilment"
	CompExpiry     = "expiry"
	CompPool       = "pool-maintenance"
	CompHTTP       = "http"
	CompAnnounce   = "announce"
	CompUpgrade    = "upgrade"
	CompLock       = "data-dir-lock"
)

// ListeningPrefix starts the line written to stdout once the service serves, followed by its
// base URL; tests and scripts read it to find a port chosen by the system (--addr host:0).
const ListeningPrefix = "orders: listening on "

// Run runs the service with grace until a signal (SIGTERM, SIGINT) or ctx ends it, logs the
// shutdown report and returns the process exit code (grace's exit codes).
//
// Components and what each uses (it starts after them and stops before them):
//
//	upgrade           (every component uses it: it starts first and stops last)
//	data-dir-lock     ← upgrade
//	pgx-pool          (PostgreSQL only)
//	db                ← pgx-pool, data-dir-lock
//	migrate           ← db
//	nats-server       ← data-dir-lock (embedded NATS only)
//	broker            ← nats-server (RabbitMQ, Kafka: none)
//	fulfilment        ← migrate, broker
//	expiry            ← migrate
//	pool-maintenance  ← db
//	http              ← migrate, broker
//	announce          ← http
//
// so the HTTP server and the consumer stop before the database and the broker close.
//
// SIGHUP upgrades the service in place, in graceupgrade's sequential mode: the running process
// hands its listening socket to a new one (the binary at its path now), stops completely —
// releasing its SQLite file, NATS store and the data directory's lock — and only then does the
// new process start its components. Requests that arrive meanwhile wait in the socket's accept
// queue. A second process on the same data directory fails to start (data-dir-lock).
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) int {
	if !cfg.PrintPlan { // a plan starts nothing and writes nothing
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			log.Error("create data dir", "error", err)
			return grace.ExitStartFailed
		}
	}
	m := &metrics.Registry{}
	app := grace.New(
		grace.WithBudget(cfg.Budget),
		grace.WithDrainDelay(cfg.DrainDelay),
		grace.WithLogger(log),
	)
	up := graceupgrade.New(app, graceupgrade.WithMode(graceupgrade.Sequential), graceupgrade.WithLogger(log))
	app.Add(CompUpgrade, up, grace.StopsLast())
	app.Add(CompLock, &dirLock{dir: cfg.DataDir}, grace.DependsOn(CompUpgrade))
	var ln net.Listener
	if !cfg.PrintPlan { // a plan binds nothing
		var err error
		if ln, err = up.Listen("http", "tcp", cfg.Addr); err != nil {
			log.Error("listen", "error", err)
			return grace.ExitStartFailed
		}
	}

	// The store is opened here without touching the database (nothing connects before Start);
	// the db component pings it at start and closes it at its turn. With PostgreSQL the
	// connections belong to a pgx pool (gracepgx), closed after the database/sql view of it.
	var st *store.Store
	if cfg.PGDSN != "" {
		pcfg, err := store.PostgresPoolConfig(cfg.PGDSN)
		if err != nil {
			log.Error("open database", "error", err)
			return grace.ExitStartFailed
		}
		pool, err := gracepgx.New(ctx, pcfg)
		if err != nil {
			log.Error("open database", "error", err)
			return grace.ExitStartFailed
		}
		app.Add(CompPGPool, pool, grace.Independent())
		defer func() {
			if cfg.PrintPlan { // never started: close what New opened
				pool.Pool().Close()
			}
		}()
		st = store.OpenPostgres(pool.Pool())
		app.Add(CompDB, gracesql.New(st.DB()), grace.DependsOn(CompPGPool, CompLock))
	} else {
		var err error
		if st, err = store.OpenSQLite(cfg.DataDir); err != nil {
			log.Error("open database", "error", err)
			return grace.ExitStartFailed
		}
		app.Add(CompDB, gracesql.New(st.DB()), grace.DependsOn(CompLock))
	}
	app.Add(CompMigrate, grace.Hook{OnStart: func(ctx context.Context) error {
		if n := api.SweepTemp(cfg.DataDir, 0); n > 0 {
			log.Info("removed partial uploads left by a crash", "count", n)
		}
		return st.Migrate(ctx)
	}}, grace.DependsOn(CompDB))

	handle := fulfil.Handler(st, m, cfg.FulfilDelay, log)
	var pub broker.Publisher
	var consumer any
	brokerDeps := []string{CompBroker}
	switch {
	case cfg.AMQPURL != "":
		a := broker.NewAMQP(cfg.AMQPURL, cfg.AMQPQueue, log)
		app.Add(CompBroker, a, grace.Independent())
		pub = a
		consumer = broker.NewAMQPConsumer(a, handle, log)
	case len(cfg.KafkaBrokers) > 0:
		k, err := broker.NewKafka(cfg.KafkaBrokers, cfg.KafkaTopic)
		if err != nil {
			log.Error("kafka", "error", err)
			return grace.ExitStartFailed
		}
		app.Add(CompBroker, k, grace.Independent())
		pub = k
		consumer = broker.NewKafkaConsumer(cfg.KafkaBrokers, cfg.KafkaTopic, cfg.KafkaInstance, handle, log)
	default:
		ns := broker.NewNATSServer(cfg.DataDir)
		app.Add(CompNATSServer, ns, grace.DependsOn(CompLock))
		nc := broker.NewNATS(ns)
		app.Add(CompBroker, nc, grace.DependsOn(CompNATSServer))
		pub = nc
		consumer = broker.NewNATSConsumer(nc, handle, log)
	}
	app.Add(CompFulfilment, consumer, grace.DependsOn(append([]string{CompMigrate}, brokerDeps...)...),
		grace.StopTimeout(cfg.WorkerTimeout))
	app.Add(CompExpiry, grace.Ticker(cfg.ExpireEvery, jobs.Expire(st, cfg.ExpireAfter, m, log)),
		grace.DependsOn(CompMigrate))
	app.Add(CompPool, grace.Ticker(cfg.PoolEvery, jobs.PoolMaintenance(st.DB(), m, log)),
		grace.DependsOn(CompDB))

	mux := routes(cfg, st, pub, m, log)
	httpOpts := []gracehttp.Option{gracehttp.WithHealth(app), gracehttp.WithLogger(log)}
	if ln != nil {
		httpOpts = append(httpOpts, gracehttp.WithListener(ln))
	}
	if cfg.QuietPeriod > 0 {
		httpOpts = append(httpOpts, gracehttp.WithQuietPeriod(cfg.QuietPeriod))
	}
	hs := gracehttp.New(&http.Server{Addr: cfg.Addr, Handler: mux}, httpOpts...)
	app.Add(CompHTTP, hs, grace.DependsOn(append([]string{CompMigrate}, brokerDeps...)...),
		grace.StopTimeout(cfg.HTTPTimeout))
	app.Add(CompAnnounce, grace.Hook{OnStart: func(context.Context) error {
		for _, a := range hs.Addrs() {
			fmt.Fprintf(stdout, "%shttp://%s\n", ListeningPrefix, a)
		}
		return nil
	}}, grace.DependsOn(CompHTTP))

	if cfg.PrintPlan {
		defer st.Close() // never started: close the pool database/sql opened
		return printPlan(app, stdout, log)
	}
	rep, _ := app.Run(ctx)
	level := slog.LevelInfo
	if rep.ExitCode != grace.ExitClean {
		level = slog.LevelError
	}
	log.Log(context.Background(), level, "shutdown report", "report", rep)
	log.Info("final counters", counterAttrs(m)...)
	return rep.ExitCode
}

// printPlan writes the app's plan as JSON (what graceplan --plan reads) without starting
// anything, and returns the exit code: 0, or grace.ExitStartFailed for an invalid configuration.
func printPlan(app *grace.App, stdout io.Writer, log *slog.Logger) int {
	plan, err := app.Plan()
	if err != nil {
		log.Error("plan", "error", err)
		return grace.ExitStartFailed
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(plan); err != nil {
		log.Error("write plan", "error", err)
		return grace.ExitStartFailed
	}
	return grace.ExitClean
}

// routes is the service's API on a new mux: the same handlers under grace and in the naive run.
func routes(cfg config.Config, st *store.Store, pub broker.Publisher, m *metrics.Registry, log *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	api.New(api.Config{
		Store: st, Publisher: pub, Metrics: m, Log: log, DataDir: cfg.DataDir,
		MaxUpload: cfg.MaxUpload, TestHooks: cfg.TestHooks,
	}).Register(mux)
	return mux
}

func counterAttrs(m *metrics.Registry) []any {
	var out []any
	for _, n := range []string{metrics.OrdersCreated, metrics.OrdersRejected, metrics.OrdersFailed,
		metrics.Deliveries, metrics.Fulfilled, metrics.DuplicateDeliveries, metrics.FulfilErrors, metrics.Expired,
		metrics.UploadsCompleted, metrics.UploadsFailed} {
		out = append(out, slog.Int64(n, m.Value(n)))
	}
	return out
}
