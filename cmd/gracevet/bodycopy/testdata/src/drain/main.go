// Positive: the same program with a graceful Shutdown.
package main

import (
	"context"
	"io"
	"net/http"
)

func main() {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // want `io.ReadAll of the request body`
	})}
	go srv.ListenAndServe()
	_ = srv.Shutdown(context.Background())
}
