package gracesql_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracesql"
)

// The pool is added first, so every component added after it depends on it: they stop first,
// and the pool closes last. With a real driver, sql.Open("pgx", dsn) takes the place of the
// test connector.
func Example() {
	db := sql.OpenDB(&testConnector{})

	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Add("db", gracesql.New(db))
	app.Add("worker", grace.Hook{
		OnStart: func(ctx context.Context) error { return db.PingContext(ctx) },
		OnStop: func(ctx context.Context) error {
			fmt.Println("worker stops; pool open:", db.PingContext(ctx) == nil)
			return nil
		},
	})
	go func() { <-app.Await(grace.PhaseReady); app.Stop("example") }()
	rep, err := app.Run(context.Background())
	fmt.Println("error:", err)
	fmt.Println("db:", rep.Component("db").State, "; pool open:", db.Ping() == nil)
	// Output:
	// worker stops; pool open: true
	// error: <nil>
	// db: stopped ; pool open: false
}
