package grace_test

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/gracesql"
)

// The README's quick start, compiled here so it can never go stale. (No Output: it would run a
// real service.)
func Example_quickStart() {
	db, _ := sql.Open("pgx", "postgres://localhost/orders") // any database/sql driver
	orders := make(chan string)                             // fed by your message client
	fulfil := func(ctx context.Context, id string) error { return nil }
	expireStale := func(ctx context.Context) error { return nil }
	mux := http.NewServeMux()

	app := grace.New(
		grace.WithBudget(25*time.Second),    // the whole stop, drain delay included
		grace.WithDrainDelay(5*time.Second), // let load balancers see /readyz fail
	)
	app.Add("db", gracesql.New(db)) // pinged at start, closed after everything that uses it
	app.Add("consumer", grace.Consume(orders, fulfil), grace.DependsOn("db"))
	app.Add("expire", grace.Ticker(time.Minute, expireStale), grace.DependsOn("db"),
		grace.StopTimeout(5*time.Second))
	srv := &http.Server{Addr: ":8080", Handler: mux}
	app.Add("http", gracehttp.New(srv, gracehttp.WithHealth(app)), grace.DependsOn("db")) // /livez, /readyz
	app.Main()                                                                            // run; on SIGTERM drain and stop; log the report; exit with its code
}
