// Look-alike: a test server under a test directory is a test double.
package scenario

import (
	"io"
	"net/http"
)

func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	_, _ = w.Write(b)
}
