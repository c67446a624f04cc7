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

// Positive: helpers in another package drop the context they are given, directly and one call
// down, or call out over HTTP without one.
func (s *server) user(w http.ResponseWriter, r *http.Request) {
	_ = s.st.Get(r.Context(), 1)          // want `Get in an HTTP handler drops the request context: it runs \(\*sql.DB\).QueryRow \(store.go:15\) without one, so Shutdown waits for it; give Get the context \(r.Context\(\)\) and use the call's context-taking form \(1 more handler calls of Get in this package\)`
	_ = s.st.Touch(r.Context(), 1)        // want `Touch in an HTTP handler drops the request context: it runs \(\*sql.DB\).Exec \(store.go:25 through touch\)`
	_ = store.Notify("http://127.0.0.1/") // want `Notify in an HTTP handler drops the request context: it runs http.Get \(store.go:31\)`
}

// Positive: a helper of this package given the request.
func (s *server) list(w http.ResponseWriter, r *http.Request) {
	s.load(r) // want `load in an HTTP handler drops the request context: it runs \(\*sql.DB\).Query \(api.go:29\)`
}

func (s *server) load(r *http.Request) { // want load:"drops the context"
	rows, _ := s.db.Query("SELECT 1")
	_ = rows
}

// Look-alikes: a context-less data layer; helpers that pass the context, or run in a goroutine.
func (s *server) quiet(w http.ResponseWriter, r *http.Request) {
	_ = s.st.Name(1)
	_ = s.st.Count(r.Context())
	s.st.Audit(r.Context(), 1)
	go s.load(r)
}

// The same helper from another handler: reported once, at its first call, with the count.
func (s *server) user2(w http.ResponseWriter, r *http.Request) {
	_ = s.st.Get(r.Context(), 2)
}
