package gracepgx_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracepgx"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The pool is added first, so the components added after it depend on it: they stop first and
// the pool closes last. Its stop limit bounds the close; a transaction still open at the hard
// deadline is cut and rolled back.
func Example() {
	// Your database's URL; here the test server's, from scripts/services.
	cfg, err := pgxpool.ParseConfig(os.Getenv("GRACE_TEST_PG_DSN"))
	if err != nil {
		fmt.Println(err)
		return
	}
	pool, err := gracepgx.New(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Add("pg", pool, grace.StopTimeout(5*time.Second))
	app.Add("reporter", grace.Hook{OnStop: func(ctx context.Context) error {
		var n int
		err := pool.Pool().QueryRow(ctx, "select 40 + 2").Scan(&n)
		fmt.Println("last query before the pool closes:", n, err)
		return err
	}})
	go func() { <-app.Await(grace.PhaseReady); app.Stop("example") }()
	rep, err := app.Run(context.Background())
	fmt.Println("error:", err)
	fmt.Println("pg:", rep.Component("pg").State, "; closed:", pool.CloseStats().Closed)
	// Output:
	// last query before the pool closes: 42 <nil>
	// error: <nil>
	// pg: stopped ; closed: true
}
