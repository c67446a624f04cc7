// Helpers in another package that read what they are given.
package store

import (
	"encoding/json"
	"io"
	"net/http"
)

// Decode reads all of r.
func Decode(r io.Reader, v any) error { // want Decode:"reads param 0 with json.NewDecoder at store.go:12"
	return json.NewDecoder(r).Decode(v)
}

// Upload reads the request's multipart form, two calls down.
func Upload(dir string, req *http.Request) error { // want Upload:"reads param 1 with parse's \\(\\*http.Request\\).ParseMultipartForm at store.go:21"
	return parse(req)
}

func parse(req *http.Request) error { // want parse:"reads param 0 with \\(\\*http.Request\\).ParseMultipartForm at store.go:21"
	return req.ParseMultipartForm(32 << 20)
}

// Look-alike: reads a reader it builds itself, not its parameter.
func Fixed(r io.Reader) error {
	_, err := io.ReadAll(io.LimitReader(nil, 1))
	return err
}

// Look-alike: takes a context and reads with it.
func Bounded(ctx interface{ Done() <-chan struct{} }, r io.Reader) error { return nil }
