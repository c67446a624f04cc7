package a

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"os/exec"
	"time"
)

type server struct{ db *sql.DB }

// Positive: the handler shape with database/sql calls that have Context twins.
func (s *server) user(w http.ResponseWriter, r *http.Request) {
	row := s.db.QueryRow("SELECT name FROM users WHERE id = $1", r.URL.Query().Get("id")) // want `\(\*sql.DB\).QueryRow in an HTTP handler ignores the request context, so Shutdown waits for it: use QueryRowContext\(r.Context\(\), ...\)`
	var name string
	_ = row.Scan(&name)
	_, _ = s.db.Exec("UPDATE users SET seen = now()") // want `\(\*sql.DB\).Exec in an HTTP handler ignores the request context`
	rows, _ := s.db.Query("SELECT 1")                 // want `use QueryContext\(r.Context\(\), ...\)`
	_ = rows
}

// Positive: a ServeHTTP method; a ctx derived from the request is preferred over r.Context().
func (s *server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), time.Second)
	defer cancel()
	_ = ctx
	tx, _ := s.db.Begin() // want `\(\*sql.DB\).Begin in an HTTP handler ignores the request context, so Shutdown waits for it: use BeginTx\(ctx, nil\)`
	_ = tx.Commit()
	out, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil) // want `http.NewRequest in an HTTP handler ignores the request context, so Shutdown waits for it: use NewRequestWithContext\(ctx, ...\)`
	_ = out
	_ = exec.Command("true").Run() // want `exec.Command in an HTTP handler ignores the request context`
}

// Positive: calls with no same-shape twin are reported without a fix.
func proxy(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get("http://127.0.0.1/") // want `http.Get in an HTTP handler ignores the request context, so Shutdown waits for it: build the request with http.NewRequestWithContext\(r.Context\(\), ...\) and send it with Client.Do`
	if err == nil {
		resp.Body.Close()
	}
	c, err := net.Dial("tcp", "127.0.0.1:1") // want `net.Dial in an HTTP handler ignores the request context, so Shutdown waits for it: use \(&net.Dialer\{\}\).DialContext\(r.Context\(\), ...\)`
	if err == nil {
		c.Close()
	}
	addrs, _ := net.LookupHost("localhost") // want `use net.DefaultResolver.LookupHost\(r.Context\(\), ...\)`
	_ = addrs
}

// Positive: a handler literal.
func routes(db *sql.DB) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		_ = db.Ping() // want `use PingContext\(r.Context\(\), ...\)`
	})
	return mux
}

// Look-alike: already passes the context.
func good(w http.ResponseWriter, r *http.Request, db *sql.DB) {}

func goodHandler(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = db.QueryRowContext(r.Context(), "SELECT 1")
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://127.0.0.1/", nil)
		_ = req
	}
}

// Look-alike: not a handler (no request context at hand).
func migrate(db *sql.DB) { // want migrate:"drops the context: http.Get at a.go:73"
	_, _ = db.Exec("CREATE TABLE t (id int)")
	_, _ = http.Get("http://127.0.0.1/")
}

// Look-alike: a ctx captured from an enclosing function is not the request's; the handler's
// r.Context() is suggested instead.
func withBase(ctx context.Context, db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = db.Ping() // want `use PingContext\(r.Context\(\), ...\)`
	}
}

// Look-alike: the request parameter is blank, so there is no request context to pass.
func blank(w http.ResponseWriter, _ *http.Request) {
	_ = (*sql.DB)(nil).Ping()
}

// Look-alike: work started in a goroutine outlives the request; its context is not r's.
func async(db *sql.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		go func() {
			_, _ = db.Exec("INSERT INTO audit VALUES (1)")
		}()
	}
}

// Look-alike: a type whose "Context" twin has a different shape is not a twin.
type store struct{}

func (store) Load(key string) string                                  { return key }
func (store) LoadContext(ctx context.Context, key, def string) string { return key }

func (store) Save(key string) error                       { return nil }
func (store) SaveContext(ctx context.Context, key string) {}

func lookalikeTwins(w http.ResponseWriter, r *http.Request) {
	var s store
	_ = s.Load("k")
	_ = s.Save("k")
}

// Positive: a user type with a real twin is reported like database/sql.
type cache struct{}

func (cache) Get(key string) (string, error)                             { return key, nil }
func (cache) GetContext(ctx context.Context, key string) (string, error) { return key, nil }

func userTwin(w http.ResponseWriter, r *http.Request) {
	var c cache
	_, _ = c.Get("k") // want `\(a.cache\).Get in an HTTP handler ignores the request context, so Shutdown waits for it: use GetContext\(r.Context\(\), ...\)`
}

// Positive: a framework's wrapper of the handler shape serves the request all the same.
type app struct{ db *sql.DB }

func viewPost(a *app, w http.ResponseWriter, r *http.Request) error {
	_, err := a.db.Exec("UPDATE posts SET views = views + 1") // want `use ExecContext\(r.Context\(\), ...\)`
	return err
}

// Look-alike: a function with a request but no ResponseWriter is not serving it (a client-side
// helper, a RoundTripper).
func sign(req *http.Request, db *sql.DB) error { // want sign:"drops the context"
	_, err := db.Exec("SELECT 1")
	return err
}

// Look-alike: a dial bounded by its own timeout.
func boundedDial(w http.ResponseWriter, r *http.Request) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:1", time.Second)
	if err == nil {
		c.Close()
	}
}
