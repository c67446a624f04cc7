package jobs

import (
	"context"
	"database/sql"
	"log/slog"

	"github.com/gracekit/grace/examples/orders/internal/metrics"
)

// PoolMaintenance returns the job that keeps the database pool healthy: it pings the database
// (so a broken connection is found and replaced before a request needs it) and publishes the
// pool's figures as gauges. Failures are logged and counted, never returned.
func PoolMaintenance(db *sql.DB, m *metrics.Registry, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		m.Inc(metrics.PoolPings)
		if err := db.PingContext(ctx); err != nil {
			m.Inc(metrics.PoolPingErrors)
			log.Warn("pool maintenance: ping failed", "error", err)
		}
		s := db.Stats()
		m.Set("db_open_connections", int64(s.OpenConnections))
		m.Set("db_in_use_connections", int64(s.InUse))
		m.Set("db_idle_connections", int64(s.Idle))
		m.Set("db_wait_count", s.WaitCount)
		return nil
	}
}
