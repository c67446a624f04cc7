// Look-alike: a package using SQLite: its queries are local file I/O, done in milliseconds.
package lite

import (
	"database/sql"
	"net/http"

	_ "github.com/mattn/go-sqlite3"
)

var db *sql.DB

func get(w http.ResponseWriter, r *http.Request) {
	_ = db.QueryRow("SELECT 1")
	_ = count()
}

func count() (n int) {
	_ = db.QueryRow("SELECT count(*) FROM t").Scan(&n)
	return n
}

// Positive: other blocking calls still count.
func fetch(w http.ResponseWriter, r *http.Request) {
	_, _ = http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil) // want `use NewRequestWithContext\(r.Context\(\), ...\)`
}
