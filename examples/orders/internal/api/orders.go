package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gracekit/grace/examples/orders/internal/metrics"
	"github.com/gracekit/grace/examples/orders/internal/store"
)

// Limits on a new order.
const (
	maxOrderBody = 64 << 10
	maxItems     = 100
	maxCustomer  = 200
	maxListLimit = 1000
	// rejectTimeout bounds marking an order rejected after its publish failed; it runs on a
	// context detached from the request's, since the request's may be what failed the publish.
	rejectTimeout = 5 * time.Second
)

// TestHoldHeader, when test hooks are on, holds CreateOrder's transaction open for the given
// duration (or until the request is cancelled), to test what a stop does to a transaction.
const TestHoldHeader = "X-Test-Hold"

type createRequest struct {
	Customer string       `json:"customer"`
	Items    []store.Item `json:"items"`
}

// ParseCreate decodes and checks a create-order body.
func ParseCreate(body []byte) (customer string, items []store.Item, err error) {
	var req createRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return "", nil, fmt.Errorf("body is not a JSON order: %v", err)
	}
	switch {
	case req.Customer == "":
		return "", nil, errors.New("customer is required")
	case len(req.Customer) > maxCustomer:
		return "", nil, fmt.Errorf("customer is longer than %d bytes", maxCustomer)
	case len(req.Items) == 0:
		return "", nil, errors.New("at least one item is required")
	case len(req.Items) > maxItems:
		return "", nil, fmt.Errorf("more than %d items", maxItems)
	}
	for i, it := range req.Items {
		switch {
		case it.SKU == "" || len(it.SKU) > 64:
			return "", nil, fmt.Errorf("item %d: sku must be 1 to 64 bytes", i)
		case it.Quantity <= 0 || it.Quantity > 10000:
			return "", nil, fmt.Errorf("item %d: quantity must be 1 to 10000", i)
		case it.PriceCents < 0 || it.PriceCents > 100_000_000:
			return "", nil, fmt.Errorf("item %d: price_cents must be 0 to 100000000", i)
		}
	}
	return req.Customer, req.Items, nil
}

// createOrder commits the order, publishes it, and only then answers 201 with its id. If the
// commit fails nothing is stored; if the publish fails the order is marked rejected and the
// client gets 503, so a 2xx always means "stored and on its way to fulfilment".
func (a *API) createOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := readBody(w, r, maxOrderBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	customer, items, err := ParseCreate(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var hold store.Hold
	if a.cfg.TestHooks {
		if v := r.Header.Get(TestHoldHeader); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				writeError(w, http.StatusBadRequest, TestHoldHeader+" must be a duration")
				return
			}
			hold = func(ctx context.Context) error {
				a.cfg.Metrics.Add(metrics.TestHolds, 1)
				defer a.cfg.Metrics.Add(metrics.TestHolds, -1)
				select {
				case <-time.After(d):
					return nil
				case <-ctx.Done():
					return context.Cause(ctx)
				}
			}
		}
	}
	o, err := a.cfg.Store.CreateOrder(ctx, customer, items, hold)
	if err != nil {
		a.cfg.Metrics.Inc(metrics.OrdersFailed)
		a.cfg.Log.Warn("create order failed", "error", err)
		writeError(w, statusFor(ctx, err), "order not stored")
		return
	}
	if err := a.cfg.Publisher.Publish(ctx, o.ID); err != nil {
		a.cfg.Metrics.Inc(metrics.OrdersRejected)
		a.cfg.Log.Warn("publish order failed; rejecting it", "order", o.ID, "error", err)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rejectTimeout)
		defer cancel()
		if err := a.cfg.Store.Reject(rctx, o.ID); err != nil {
			// It stays new and the expiry job retires it.
			a.cfg.Log.Warn("reject order failed", "order", o.ID, "error", err)
		}
		writeError(w, http.StatusServiceUnavailable, "order not accepted: messaging unavailable")
		return
	}
	a.cfg.Metrics.Inc(metrics.OrdersCreated)
	w.Header().Set("Location", "/orders/"+o.ID)
	writeJSON(w, http.StatusCreated, map[string]string{"id": o.ID, "status": o.Status})
}

func (a *API) getOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		writeError(w, http.StatusNotFound, "order not found")
		return
	}
	o, err := a.cfg.Store.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "order not found")
		return
	}
	if err != nil {
		a.cfg.Log.Warn("get order failed", "error", err)
		writeError(w, statusFor(r.Context(), err), "order not read")
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > maxListLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1 to %d", maxListLimit))
			return
		}
		limit = n
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", store.StatusNew, store.StatusFulfilled, store.StatusRejected, store.StatusExpired:
	default:
		writeError(w, http.StatusBadRequest, "unknown status")
		return
	}
	orders, err := a.cfg.Store.List(r.Context(), status, limit)
	if err != nil {
		a.cfg.Log.Warn("list orders failed", "error", err)
		writeError(w, statusFor(r.Context(), err), "orders not read")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": orders})
}

// statusFor is 503 when the request was cancelled (the service is stopping or the client left),
// 500 otherwise.
func statusFor(ctx context.Context, err error) int {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
