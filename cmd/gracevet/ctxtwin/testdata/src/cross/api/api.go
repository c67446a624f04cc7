package api

import (
	"database/sql"
	"net/http"

	"cross/store"
)

type server struct {
	st *store.Store
	db *sql.DB
}

// Positive: a helper in another package queries without the context, directly and one call down.
func (s *server) user(w http.ResponseWriter, r *http.Request) {
	_ = s.st.Name(1)               // want `Name in an HTTP handler drops the request context: it runs \(\*sql.DB\).QueryRow \(store.go:14\) without one, so Shutdown waits for it; give Name the context \(r.Context\(\)\) and use the call's context-taking form \(1 more handler calls of Name in this package\)`
	_ = s.st.Touch(r.Context(), 1) // want `Touch in an HTTP handler drops the request context: it runs \(\*sql.DB\).Exec \(store.go:24 through touch\)`
}

// Positive: a helper of this package.
func (s *server) list(w http.ResponseWriter, r *http.Request) {
	s.load() // want `load in an HTTP handler drops the request context: it runs \(\*sql.DB\).Query \(api.go:27\)`
}

func (s *server) load() { // want load:"drops the context"
	rows, _ := s.db.Query("SELECT 1")
	_ = rows
}

// Look-alikes: helpers that pass the context, or run in a goroutine.
func (s *server) quiet(w http.ResponseWriter, r *http.Request) {
	_ = s.st.Count(r.Context())
	s.st.Audit(1)
	go s.load()
}

// The same helper from another handler: reported once, at its first call, with the count.
func (s *server) user2(w http.ResponseWriter, r *http.Request) {
	_ = s.st.Name(2)
}
