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

// Serve ignores http.ErrServerClosed.
func Serve(srv *http.Server) error {
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler passes the request context on.
func Handler(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var n int
		_ = db.QueryRowContext(r.Context(), "SELECT 1").Scan(&n)
	}
}

// Consume stops when in is closed or ctx ends.
func Consume(ctx context.Context, in <-chan string) {
	go func() {
		for ctx.Err() == nil {
			select {
			case s, ok := <-in:
				if !ok {
					return
				}
				log.Print(s)
			case <-ctx.Done():
			}
		}
	}()
}

// Poll stops its ticker whichever way it returns.
func Poll(ctx context.Context, tick func()) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for ctx.Err() == nil {
		select {
		case <-t.C:
			tick()
		case <-ctx.Done():
		}
	}
}
