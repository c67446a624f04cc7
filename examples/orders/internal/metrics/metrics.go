// Package metrics counts what the orders service does and writes the counters as plain text,
// one "name value" line each. Nothing in it identifies a customer or holds a secret.
package metrics

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
)

// Counter names.
const (
	OrdersCreated       = "orders_created_total"
	OrdersRejected      = "orders_rejected_total"
	OrdersFailed        = "orders_failed_total"
	Deliveries          = "deliveries_total"
	Fulfilled           = "fulfilled_total"
	DuplicateDeliveries = "duplicate_deliveries_total"
	FulfilErrors        = "fulfil_errors_total"
	Expired             = "expired_total"
	UploadsCompleted    = "uploads_completed_total"
	UploadsFailed       = "uploads_failed_total"
	UploadBytes         = "upload_bytes_total"
	PoolPings           = "pool_pings_total"
	PoolPingErrors      = "pool_ping_errors_total"
	// TestHolds counts transactions held open by the X-Test-Hold hook right now (tests only).
	TestHolds = "test_holds_in_progress"
)

// Registry holds counters and gauges. The zero value is empty and ready; it is safe for
// concurrent use.
type Registry struct {
	mu     sync.Mutex
	values map[string]*atomic.Int64
}

func (r *Registry) get(name string) *atomic.Int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.values == nil {
		r.values = map[string]*atomic.Int64{}
	}
	v, ok := r.values[name]
	if !ok {
		v = new(atomic.Int64)
		r.values[name] = v
	}
	return v
}

// Add adds n to the named counter.
func (r *Registry) Add(name string, n int64) { r.get(name).Add(n) }

// Inc adds one to the named counter.
func (r *Registry) Inc(name string) { r.get(name).Add(1) }

// Set sets the named gauge.
func (r *Registry) Set(name string, n int64) { r.get(name).Store(n) }

// Value returns the named value (0 if never set).
func (r *Registry) Value(name string) int64 { return r.get(name).Load() }

// WriteTo writes every value as "name value\n", sorted by name.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	names := make([]string, 0, len(r.values))
	for n := range r.values {
		names = append(names, n)
	}
	r.mu.Unlock()
	sort.Strings(names)
	var total int64
	for _, n := range names {
		k, err := fmt.Fprintf(w, "%s %d\n", n, r.get(n).Load())
		total += int64(k)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
