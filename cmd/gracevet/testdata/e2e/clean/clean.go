// Package clean does the same work as package bad without the shutdown mistakes.
package clean

import (
	"context"
	"database/sql"
	"errors"
	"log"
	"net/http"
	"time"
)

// Handler passes the request context on.
func Handler(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		row := db.QueryRowContext(r.Context(), "SELECT 1")
		var n int
		_ = row.Scan(&n)
	}
}

// Consume stops with ctx.
func Consume(ctx context.Context, in <-chan string) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-in:
				log.Print(s)
			}
		}
	}()
}

// Serve ignores http.ErrServerClosed.
func Serve(srv *http.Server) error {
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Poll stops its ticker.
func Poll(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
