package gracesql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gracekit/grace"
)

// DB is a grace component for a *sql.DB. It is a [grace.Validator], a [grace.Starter], a
// [grace.Stopper] and a [grace.Accounter] (see [DB.Account]).
type DB struct {
	db *sql.DB

	mu      sync.Mutex
	atClose *sql.DBStats
}

// New returns a component for db. The caller opens db (sql.Open or sql.OpenDB) and hands the
// same *sql.DB to the components that use it; the component closes it.
func New(db *sql.DB) *DB { return &DB{db: db} }

// DB returns the pool.
func (d *DB) DB() *sql.DB { return d.db }

// Validate returns a *grace.ConfigError if the *sql.DB is nil. The app calls it before anything
// starts.
func (d *DB) Validate() error {
	if d.db == nil {
		return &grace.ConfigError{Problems: []string{"nil *sql.DB"}}
	}
	return nil
}

// Start pings the database with ctx (the component's start limit), opening a first connection:
// an unreachable database or a refused login fails the app's start with
// "ping database: <the driver's error>". For a DB run outside an app, Start first returns
// [DB.Validate]'s error. Since the app does not stop a component whose start failed, a failed
// Start closes the pool itself.
func (d *DB) Start(ctx context.Context) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if err := d.db.PingContext(ctx); err != nil {
		return errors.Join(fmt.Errorf("ping database: %w", err), d.closeAfterFailedStart())
	}
	return nil
}

// Stop closes the pool: idle connections close at once, connections in use close when their
// holders release them, and the pool refuses new work. It waits for Close until ctx ends (the
// component's limit); a Close that hangs — a driver blocked on an unreachable server — is left
// to finish on its own, and Stop returns "close database: " and ctx's cause. If connections were
// in use when Close was called, the error also holds a *grace.InUseError (unit "connections",
// InUse those in use, Forced zero: database/sql cuts none, so it does not match grace.ErrCut).
// Calling Stop again closes nothing and reports what the first call saw.
func (d *DB) Stop(ctx context.Context) error {
	if d.db == nil {
		return nil
	}
	st := d.db.Stats()
	d.mu.Lock()
	if d.atClose == nil {
		d.atClose = &st
	} else {
		st = *d.atClose
	}
	d.mu.Unlock()

	done := make(chan error, 1) // buffered: a Close that outlives Stop must still finish
	go func() { done <- d.db.Close() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	if err != nil {
		err = fmt.Errorf("close database: %w", err)
	}
	if st.InUse > 0 {
		err = errors.Join(err, &grace.InUseError{Unit: "connections", InUse: st.InUse})
	}
	return err
}

func (d *DB) closeAfterFailedStart() error {
	done := make(chan error, 1) // buffered: the Close may outlive the wait
	go func() { done <- d.db.Close() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("close database: %w", err)
		}
	case <-time.After(closeAfterFailedStartWait):
	}
	return nil
}

// closeAfterFailedStartWait bounds the wait for the pool to close after a failed ping: the start
// has failed already, and the app's rollback should not wait on a driver that hangs.
const closeAfterFailedStartWait = time.Second

// StatsAtClose returns the pool's statistics as Stop found them, before closing, and whether
// Stop was called. InUse counts the connections that something still held.
func (d *DB) StatsAtClose() (sql.DBStats, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.atClose == nil {
		return sql.DBStats{}, false
	}
	return *d.atClose, true
}
