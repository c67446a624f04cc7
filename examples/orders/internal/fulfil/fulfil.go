// Package fulfil is the work done for each delivered order: mark it fulfilled, once.
package fulfil

import (
	"context"
	"log/slog"
	"time"

	"github.com/gracekit/grace/examples/orders/internal/broker"
	"github.com/gracekit/grace/examples/orders/internal/metrics"
	"github.com/gracekit/grace/examples/orders/internal/store"
)

// Handler returns the broker handler that fulfils an order. It is idempotent: the row changes
// only from "new" to "fulfilled", in one transaction with the "fulfilled" event, so a message
// delivered twice (after a crash, a redelivery, a rebalance) has its effect once; the second
// delivery is counted as a duplicate and acknowledged. delay simulates the work (it ends early,
// with an error, if ctx ends). Errors leave the message to be delivered again.
func Handler(st *store.Store, m *metrics.Registry, delay time.Duration, log *slog.Logger) broker.Handler {
	return func(ctx context.Context, orderID string) error {
		m.Inc(metrics.Deliveries)
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				m.Inc(metrics.FulfilErrors)
				return context.Cause(ctx)
			}
		}
		changed, err := st.Fulfil(ctx, orderID)
		if err != nil {
			m.Inc(metrics.FulfilErrors)
			return err
		}
		if changed {
			m.Inc(metrics.Fulfilled)
		} else {
			m.Inc(metrics.DuplicateDeliveries)
			log.Debug("fulfil: order not new; delivery skipped", "order", orderID)
		}
		return nil
	}
}
