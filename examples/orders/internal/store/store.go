// Package store keeps orders in SQLite (the default, a file in the data directory) or PostgreSQL.
// Both run the same SQL through database/sql. Every method takes the caller's context and passes
// it to every database call; a transaction whose context ends before it commits is rolled back.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // driver "sqlite"
)

// ErrNotFound is returned for an order that does not exist.
var ErrNotFound = errors.New("order not found")

// Store is the orders database. Its methods are safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect string // "sqlite" or "postgres"
}

// SQLiteDSN is the DSN of the SQLite database in dir: WAL journal (readers never block the
// writer) and a 5 s busy timeout (writers queue instead of failing).
func SQLiteDSN(dir string) string {
	return "file:" + filepath.Join(dir, "orders.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"
}

// OpenSQLite prepares the pool for the SQLite database in dir (the file is created at the first
// connection). It neither connects nor migrates.
func OpenSQLite(dir string) (*Store, error) {
	db, err := sql.Open("sqlite", SQLiteDSN(dir))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One writer at a time is SQLite's rule; a few connections let reads run beside it.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	return &Store{db: db, dialect: "sqlite"}, nil
}

// PostgresPoolConfig parses dsn into a pgx pool configuration for [OpenPostgres]. The error
// never repeats the DSN, which may hold a password.
func PostgresPoolConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("open postgres: invalid DSN")
	}
	cfg.MaxConns = 16
	cfg.MaxConnIdleTime = time.Minute
	return cfg, nil
}

// OpenPostgres returns a store over pool (a pgx pool, which keeps its own connections healthy in
// a background goroutine) through database/sql. It neither connects nor migrates. Closing the
// store does not close the pool.
func OpenPostgres(pool *pgxpool.Pool) *Store {
	return &Store{db: stdlib.OpenDBFromPool(pool), dialect: "postgres"}
}

// DB returns the underlying pool, for the pool-maintenance job and for closing.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Close closes the pool. It waits for queries in progress.
func (s *Store) Close() error { return s.db.Close() }

// NewID returns a random 128-bit id in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// Hold is called inside CreateOrder's transaction after the rows are written and before the
// commit. Tests use it to keep a transaction open across a stop; nil does nothing.
type Hold func(ctx context.Context) error

// CreateOrder writes a new order and its "created" event in one transaction and commits it. If
// ctx ends first (or hold returns an error) the transaction is rolled back: neither row exists.
func (s *Store) CreateOrder(ctx context.Context, customer string, items []Item, hold Hold) (Order, error) {
	now := time.Now()
	o := Order{ID: NewID(), Customer: customer, Items: items, Status: StatusNew,
		CreatedAt: now.Truncate(time.Millisecond), UpdatedAt: now.Truncate(time.Millisecond)}
	for _, it := range items {
		o.TotalCents += int64(it.Quantity) * it.PriceCents
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return Order{}, fmt.Errorf("create order: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, customer, items, total_cents, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			o.ID, o.Customer, string(itemsJSON), o.TotalCents, o.Status, now.UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, o.ID, "created", now); err != nil {
			return err
		}
		if hold != nil {
			return hold(ctx)
		}
		return nil
	})
	if err != nil {
		return Order{}, fmt.Errorf("create order: %w", err)
	}
	return o, nil
}

// Reject marks a new order rejected (its message could not be published). It does nothing to an
// order that is no longer new.
func (s *Store) Reject(ctx context.Context, id string) error {
	_, err := s.transition(ctx, id, StatusNew, StatusRejected)
	if err != nil {
		return fmt.Errorf("reject order: %w", err)
	}
	return nil
}

// Fulfil marks a new order fulfilled and records a "fulfilled" event, in one transaction. It is
// idempotent: for an order that is not new (already fulfilled, expired, rejected, or unknown) it
// changes nothing and returns false, so a message delivered twice is fulfilled once.
func (s *Store) Fulfil(ctx context.Context, id string) (bool, error) {
	ok, err := s.transition(ctx, id, StatusNew, StatusFulfilled)
	if err != nil {
		return false, fmt.Errorf("fulfil order: %w", err)
	}
	return ok, nil
}

// transition moves an order from one status to another, with an event, if it is in from.
func (s *Store) transition(ctx context.Context, id, from, to string) (bool, error) {
	changed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		q := `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`
		if to == StatusFulfilled {
			q = `UPDATE orders SET status = $1, updated_at = $2, fulfilled_at = $2 WHERE id = $3 AND status = $4`
		}
		res, err := tx.ExecContext(ctx, q, to, now.UnixMilli(), id, from)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		changed = true
		return addEvent(ctx, tx, id, to, now)
	})
	return changed, err
}

// ExpireStale marks every order still new after maxAge expired, with an event each, in one
// transaction, and returns how many it expired.
func (s *Store) ExpireStale(ctx context.Context, maxAge time.Duration) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		cutoff := now.Add(-maxAge).UnixMilli()
		rows, err := tx.QueryContext(ctx, `SELECT id FROM orders WHERE status = $1 AND created_at < $2 LIMIT 500`, StatusNew, cutoff)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
				StatusExpired, now.UnixMilli(), id, StatusNew)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				n++
				if err := addEvent(ctx, tx, id, StatusExpired, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire orders: %w", err)
	}
	return n, nil
}

// Get returns an order with its attachments, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Order, error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, customer, items, total_cents, status, created_at, updated_at, fulfilled_at
		FROM orders WHERE id = $1`, id)
	o, err := scanOrder(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("get order: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, size, created_at FROM attachments WHERE order_id = $1 ORDER BY name`, id)
	if err != nil {
		return Order{}, fmt.Errorf("get order attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Attachment
		var at int64
		if err := rows.Scan(&a.Name, &a.Size, &at); err != nil {
			return Order{}, fmt.Errorf("get order attachments: %w", err)
		}
		a.CreatedAt = time.UnixMilli(at).UTC()
		o.Attachments = append(o.Attachments, a)
	}
	if err := rows.Err(); err != nil {
		return Order{}, fmt.Errorf("get order attachments: %w", err)
	}
	return o, nil
}

// List returns up to limit orders, newest first, optionally only those with the given status.
func (s *Store) List(ctx context.Context, status string, limit int) ([]Order, error) {
	q := `SELECT id, customer, items, total_cents, status, created_at, updated_at, fulfilled_at FROM orders`
	args := []any{}
	if status != "" {
		q += ` WHERE status = $1 ORDER BY created_at DESC, id LIMIT $2`
		args = append(args, status, limit)
	} else {
		q += ` ORDER BY created_at DESC, id LIMIT $1`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	out := []Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("list orders: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return out, nil
}

// AddAttachment records a stored attachment, replacing one of the same name. It fails with
// ErrNotFound if the order does not exist.
func (s *Store) AddAttachment(ctx context.Context, orderID, name string, size int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE id = $1`, orderID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE order_id = $1 AND name = $2`, orderID, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO attachments (order_id, name, size, created_at) VALUES ($1, $2, $3, $4)`,
			orderID, name, size, time.Now().UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("add attachment: %w", err)
	}
	return nil
}

// Exists reports whether the order exists.
func (s *Store) Exists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE id = $1`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("find order: %w", err)
	}
	return n > 0, nil
}

// Counts returns the number of orders by status, for metrics.
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM orders GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count orders: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count orders: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// inTx runs f in a transaction bound to ctx and commits it; any error, or ctx ending, rolls it back.
func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback() // database/sql already rolled back if ctx ended
		return err
	}
	return tx.Commit()
}

func addEvent(ctx context.Context, tx *sql.Tx, orderID, kind string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_events (id, order_id, kind, at) VALUES ($1, $2, $3, $4)`,
		NewID(), orderID, kind, at.UnixMilli())
	return err
}

type scanner interface{ Scan(dest ...any) error }

func scanOrder(r scanner) (Order, error) {
	var o Order
	var items string
	var created, updated int64
	var fulfilled sql.NullInt64
	if err := r.Scan(&o.ID, &o.Customer, &items, &o.TotalCents, &o.Status, &created, &updated, &fulfilled); err != nil {
		return Order{}, err
	}
	if err := json.Unmarshal([]byte(items), &o.Items); err != nil {
		return Order{}, fmt.Errorf("order %s: bad items: %w", o.ID, err)
	}
	o.CreatedAt = time.UnixMilli(created).UTC()
	o.UpdatedAt = time.UnixMilli(updated).UTC()
	if fulfilled.Valid {
		t := time.UnixMilli(fulfilled.Int64).UTC()
		o.FulfilledAt = &t
	}
	return o, nil
}
