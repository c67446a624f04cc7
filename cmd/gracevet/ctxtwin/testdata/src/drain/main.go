// Positive: the same program with a graceful Shutdown.
package main

import (
	"context"
	"database/sql"
	"net/http"
)

func main() {
	var db *sql.DB
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = db.Ping() // want `use PingContext\(r.Context\(\), ...\)`
	})}
	go srv.ListenAndServe()
	_ = srv.Shutdown(context.Background())
}
