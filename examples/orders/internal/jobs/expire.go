// Package jobs holds the service's periodic jobs, each a function for grace.Ticker.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/gracekit/grace/examples/orders/internal/metrics"
	"github.com/gracekit/grace/examples/orders/internal/store"
)

// Expire returns the job that marks orders still new after maxAge expired (orders whose message
// was never published, because the process died between the commit and the publish). Failures
// are logged and counted, never returned: a missed run is retried at the next tick.
func Expire(st *store.Store, maxAge time.Duration, m *metrics.Registry, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		n, err := st.ExpireStale(ctx, maxAge)
		if err != nil {
			log.Warn("expire job failed", "error", err)
			return nil
		}
		if n > 0 {
			m.Add(metrics.Expired, int64(n))
			log.Info("expired stale orders", "count", n)
		}
		return nil
	}
}
