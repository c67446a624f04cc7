package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/gracekit/grace/examples/orders/internal/broker"
	"github.com/gracekit/grace/examples/orders/internal/config"
	"github.com/gracekit/grace/examples/orders/internal/fulfil"
	"github.com/gracekit/grace/examples/orders/internal/jobs"
	"github.com/gracekit/grace/examples/orders/internal/metrics"
	"github.com/gracekit/grace/examples/orders/internal/store"
	"github.com/jackc/pgx/v5/pgxpool"
)

// naiveShutdownTimeout is the seed's 10 s window for http.Server.Shutdown; naiveStartTimeout
// bounds the start.
const (
	naiveShutdownTimeout = 10 * time.Second
	naiveStartTimeout    = 30 * time.Second
)

// RunNaive runs the SAME handlers, store, broker and jobs with the seed's hand-written shutdown,
// kept deliberately as the seed writes it, for `make demo` to show the difference:
//
//   - signal.Notify, then srv.Shutdown with a 10 s timeout at once: the listener closes the
//     moment the signal arrives; there is no readiness flip (/readyz says 200 until the end) and
//     no drain delay, so a load balancer keeps sending to a closed port;
//   - then it closes the database and the broker, and only then cancels and waits for the
//     workers that use them (the seed's order), so the consumer's last messages fail.
//
// Do not copy this. It returns 0, as such services do, whatever was lost.
func RunNaive(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) int {
	startCtx, cancelStart := context.WithTimeout(ctx, naiveStartTimeout)
	defer cancelStart()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		log.Error("create data dir", "error", err)
		return 3
	}
	m := &metrics.Registry{}
	var st *store.Store
	closeDB := func() {}
	if cfg.PGDSN != "" {
		pcfg, err := store.PostgresPoolConfig(cfg.PGDSN)
		if err != nil {
			log.Error("open database", "error", err)
			return 3
		}
		pool, err := pgxpool.NewWithConfig(startCtx, pcfg)
		if err != nil {
			log.Error("open database", "error", err)
			return 3
		}
		st = store.OpenPostgres(pool)
		closeDB = func() { _ = st.Close(); pool.Close() }
	} else {
		var err error
		if st, err = store.OpenSQLite(cfg.DataDir); err != nil {
			log.Error("open database", "error", err)
			return 3
		}
		closeDB = func() { _ = st.Close() }
	}
	if err := st.Migrate(startCtx); err != nil {
		log.Error("migrate", "error", err)
		return 3
	}
	var pub broker.Publisher
	var startConsumer func(context.Context) error
	var runConsumer func(context.Context) error
	var closeBroker func()
	handle := fulfil.Handler(st, m, cfg.FulfilDelay, log)
	switch {
	case cfg.AMQPURL != "":
		a := broker.NewAMQP(cfg.AMQPURL, cfg.AMQPQueue, log)
		if err := a.Start(startCtx); err != nil {
			log.Error("start rabbitmq", "error", err)
			return 3
		}
		go func() { _ = a.Run(context.Background()) }() // ends when Close closes the connection
		c := broker.NewAMQPConsumer(a, handle, log)
		pub, startConsumer, runConsumer = a, c.Start, c.Run
		closeBroker = func() { _ = a.Close() }
	case len(cfg.KafkaBrokers) > 0:
		k, err := broker.NewKafka(cfg.KafkaBrokers, cfg.KafkaTopic)
		if err != nil {
			log.Error("kafka", "error", err)
			return 3
		}
		if err := k.Start(startCtx); err != nil {
			log.Error("start kafka", "error", err)
			return 3
		}
		c := broker.NewKafkaConsumer(cfg.KafkaBrokers, cfg.KafkaTopic, cfg.KafkaInstance, handle, log)
		pub, startConsumer, runConsumer = k, c.Start, c.Run
		closeBroker = func() { _ = k.Close() }
	default:
		ns := broker.NewNATSServer(cfg.DataDir)
		if err := ns.Start(startCtx); err != nil {
			log.Error("start nats", "error", err)
			return 3
		}
		nc := broker.NewNATS(ns)
		if err := nc.Start(startCtx); err != nil {
			log.Error("connect nats", "error", err)
			return 3
		}
		c := broker.NewNATSConsumer(nc, handle, log)
		pub, startConsumer, runConsumer = nc, c.Start, c.Run
		closeBroker = func() { _ = nc.Close(); _ = ns.Stop(context.Background()) }
	}
	if err := startConsumer(startCtx); err != nil {
		log.Error("start consumer", "error", err)
		return 3
	}

	// The seed's shared context and WaitGroup for the workers.
	workCtx, cancelWork := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = runConsumer(workCtx) }()
	every := func(d time.Duration, job func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				select {
				case <-workCtx.Done():
					return
				case <-t.C:
					_ = job(workCtx)
				}
			}
		}()
	}
	every(cfg.ExpireEvery, jobs.Expire(st, cfg.ExpireAfter, m, log))
	every(cfg.PoolEvery, jobs.PoolMaintenance(st.DB(), m, log))

	mux := routes(cfg, st, pub, m, log)
	ok := func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }
	mux.HandleFunc("GET /livez", ok)
	mux.HandleFunc("GET /readyz", ok) // never flips: the seed has no readiness
	srv := &http.Server{Addr: cfg.Addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("listen", "error", err)
		cancelWork()
		wg.Wait()
		return 3
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve", "error", err)
		}
	}()
	fmt.Fprintf(stdout, "%shttp://%s\n", ListeningPrefix, ln.Addr())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	select {
	case s := <-sig:
		log.Warn("naive: signal received, shutting down", "signal", s.String())
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), naiveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("naive: shutdown", "error", err)
	}
	// The seed's order: close the pool and the message clients, then wait for the workers.
	closeDB()
	closeBroker()
	cancelWork()
	wg.Wait()
	log.Info("naive: stopped")
	log.Info("final counters", counterAttrs(m)...)
	return 0
}
