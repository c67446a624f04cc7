package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migrations are applied in order, each once, each in its own transaction. Both dialects run the
// same statements: timestamps are Unix milliseconds and ids are made by the service, so no
// dialect-specific types are needed. Append; never edit an applied migration.
var migrations = []string{
	// 1: orders and their event log. order_events has no uniqueness on (order_id, kind) on
	// purpose: it counts fulfilments, so a duplicate would show rather than be hidden.
	`CREATE TABLE orders (
		id           TEXT PRIMARY KEY,
		customer     TEXT NOT NULL,
		items        TEXT NOT NULL,
		total_cents  BIGINT NOT NULL,
		status       TEXT NOT NULL,
		created_at   BIGINT NOT NULL,
		updated_at   BIGINT NOT NULL,
		fulfilled_at BIGINT
	);
	CREATE INDEX orders_status_created ON orders (status, created_at);
	CREATE TABLE order_events (
		id       TEXT PRIMARY KEY,
		order_id TEXT NOT NULL,
		kind     TEXT NOT NULL,
		at       BIGINT NOT NULL
	);
	CREATE INDEX order_events_order ON order_events (order_id, kind)`,
	// 2: attachments.
	`CREATE TABLE attachments (
		order_id   TEXT NOT NULL,
		name       TEXT NOT NULL,
		size       BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (order_id, name)
	)`,
}

// Migrate brings the schema up to date. It is safe to run at every start: applied migrations are
// recorded in schema_migrations and skipped. A migration that fails is rolled back whole.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for i, m := range migrations {
		version := i + 1
		if err := s.migrateOne(ctx, version, m); err != nil {
			return fmt.Errorf("migrate: version %d: %w", version, err)
		}
	}
	return nil
}

func (s *Store) migrateOne(ctx context.Context, version int, stmts string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range splitStatements(stmts) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		version, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

func splitStatements(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ";") {
		if trimmed := strings.TrimSpace(part); trimmed != "" {
			out = append(out, trimmed)
		}
	}
	return out
}
