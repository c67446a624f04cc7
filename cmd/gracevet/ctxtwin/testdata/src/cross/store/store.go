// A data layer in another package.
package store

import (
	"context"
	"database/sql"
	"net/http"
)

type Store struct{ db *sql.DB }

// Get is given a context and drops it.
func (s *Store) Get(ctx context.Context, id int) string { // want Get:"drops the context: \\(\\*sql.DB\\).QueryRow at store.go:15"
	var n string
	_ = s.db.QueryRow("SELECT name FROM users WHERE id = $1", id).Scan(&n)
	return n
}

// Touch is given a context and drops it one call further down.
func (s *Store) Touch(ctx context.Context, id int) error { // want Touch:"drops the context: \\(\\*sql.DB\\).Exec at store.go:25 via touch"
	return s.touch(id)
}

func (s *Store) touch(id int) error {
	_, err := s.db.Exec("UPDATE users SET seen = now() WHERE id = $1", id)
	return err
}

// Notify calls out over HTTP without a context: a remote party decides how long it takes.
func Notify(url string) error { // want Notify:"drops the context: http.Get at store.go:31"
	_, err := http.Get(url)
	return err
}

// Look-alike: a data layer written without contexts is a design, not a dropped context.
func (s *Store) Name(id int) string {
	var n string
	_ = s.db.QueryRow("SELECT name FROM users WHERE id = $1", id).Scan(&n)
	return n
}

// Look-alike: passes its context along.
func (s *Store) Count(ctx context.Context) (n int) {
	_ = s.db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n)
	return n
}

// Look-alike: the query runs in a goroutine, not on the caller's schedule.
func (s *Store) Audit(ctx context.Context, id int) {
	go func() { _, _ = s.db.Exec("INSERT INTO audit VALUES ($1)", id) }()
}
