// A data layer in another package whose methods drop the context.
package store

import (
	"context"
	"database/sql"
)

type Store struct{ db *sql.DB }

// Name queries without a context.
func (s *Store) Name(id int) string { // want Name:"drops the context: \\(\\*sql.DB\\).QueryRow at store.go:14"
	var n string
	_ = s.db.QueryRow("SELECT name FROM users WHERE id = $1", id).Scan(&n)
	return n
}

// Touch is given a context and drops it one call further down.
func (s *Store) Touch(ctx context.Context, id int) error { // want Touch:"drops the context: \\(\\*sql.DB\\).Exec at store.go:25 via touch"
	return s.touch(id)
}

func (s *Store) touch(id int) error { // want touch:"drops the context: \\(\\*sql.DB\\).Exec at store.go:25"
	_, err := s.db.Exec("UPDATE users SET seen = now() WHERE id = $1", id)
	return err
}

// Look-alike: passes its context along.
func (s *Store) Count(ctx context.Context) (n int) {
	_ = s.db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n)
	return n
}

// Look-alike: the query runs in a goroutine, not on the caller's schedule.
func (s *Store) Audit(id int) {
	go func() { _, _ = s.db.Exec("INSERT INTO audit VALUES ($1)", id) }()
}
