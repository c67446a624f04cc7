// Package api is the orders service's HTTP API. Every handler passes r.Context() to every
// database and broker call, so a request cancelled at the stop's hard deadline rolls its
// transaction back. The same handlers serve the grace build and the naive one.
package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/gracekit/grace/examples/orders/internal/broker"
	"github.com/gracekit/grace/examples/orders/internal/metrics"
	"github.com/gracekit/grace/examples/orders/internal/store"
)

// Config is what the handlers need.
type Config struct {
	Store     *store.Store
	Publisher broker.Publisher
	Metrics   *metrics.Registry
	Log       *slog.Logger
	DataDir   string // attachments go to DataDir/attachments/<order id>/
	MaxUpload int64  // bytes
	TestHooks bool   // honour X-Test-Hold
}

// API serves the orders endpoints.
type API struct{ cfg Config }

// New returns the API.
func New(cfg Config) *API { return &API{cfg: cfg} }

// Register adds the API's routes to mux: POST /orders, GET /orders, GET /orders/{id},
// POST /orders/{id}/attachments, GET /metrics.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /orders", a.createOrder)
	mux.HandleFunc("GET /orders", a.listOrders)
	mux.HandleFunc("GET /orders/{id}", a.getOrder)
	mux.HandleFunc("POST /orders/{id}/attachments", a.uploadAttachment)
	mux.HandleFunc("GET /metrics", a.metrics)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (a *API) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = a.cfg.Metrics.WriteTo(w)
}
