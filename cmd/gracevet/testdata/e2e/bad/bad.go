// Package bad has one shutdown mistake for each gracevet analyzer.
package bad

import (
	"context"
	"database/sql"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"
)

// Handler blocks without the request context (ctxtwin) and copies the body (bodycopy).
func Handler(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		row := db.QueryRow("SELECT 1")
		var n int
		_ = row.Scan(&n)
		_, _ = io.Copy(w, r.Body)
	}
}

// Consume loops over a channel that is never closed (chanloop).
func Consume() chan<- string {
	in := make(chan string)
	go func() {
		for s := range in {
			log.Print(s)
		}
	}()
	return nil
}

// Serve treats ErrServerClosed as fatal (servererr).
func Serve(srv *http.Server) {
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			log.Fatal(err)
		}
	}()
}

// Load exits from library code (exitafter).
func Load() {
	os.Exit(1)
}

// Poll never stops its ticker when ctx ends (tickerstop).
func Poll(ctx context.Context, tick func() error) {
	t := time.NewTicker(time.Second)
	for range t.C {
		if err := tick(); err != nil {
			log.Print(err)
		} else if ctx.Err() != nil {
			return
		}
	}
}

// Watch leaves its signal registration behind (signalstop).
func Watch(ctx context.Context) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	<-ctx.Done()
}
