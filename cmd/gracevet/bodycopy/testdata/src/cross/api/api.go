package api

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"

	"cross/store"
)

type item struct{ Name string }

// Positive: the body handed to a helper in another package that decodes it.
func create(w http.ResponseWriter, r *http.Request) {
	var it item
	_ = store.Decode(r.Body, &it) // want `Decode reads the request body \(json.NewDecoder at store.go:12\) without the request context: a slow client holds Shutdown until it finishes; read it with gracehttp.CopyContext\(r.Context\(\), dst, body\)`
	_ = store.Upload("/tmp", r)   // want `Upload reads the request body \(parse's \(\*http.Request\).ParseMultipartForm at store.go:21\)`
}

// Positive: decoders over the body and the multipart parsers read it too.
func decoders(w http.ResponseWriter, r *http.Request) {
	var it item
	_ = json.NewDecoder(r.Body).Decode(&it)                       // want `json.NewDecoder reads the request body in an HTTP handler without the request context: a slow client holds Shutdown until it finishes; copy the body with gracehttp.CopyContext\(r.Context\(\), dst, body\)`
	_ = xml.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&it) // want `xml.NewDecoder reads the request body`
	_ = r.ParseMultipartForm(1 << 20)                             // want `\(\*http.Request\).ParseMultipartForm reads the request body`
}

// Positive: FormFile parses the form itself.
func formFile(w http.ResponseWriter, r *http.Request) {
	f, _, _ := r.FormFile("upload") // want `\(\*http.Request\).FormFile reads the request body`
	_ = f
}

// Positive: a helper in this package, one call down.
func local(w http.ResponseWriter, r *http.Request) {
	_ = readJSON(r, nil) // want `readJSON reads the request body \(json.NewDecoder at api.go:42\)`
}

func readJSON(r *http.Request, v any) error { // want readJSON:"reads param 0 with json.NewDecoder"
	return json.NewDecoder(r.Body).Decode(v)
}

// Look-alikes: the helpers get something other than the body; a form value; a response body.
func quiet(w http.ResponseWriter, r *http.Request) {
	_ = store.Decode(bytes.NewReader(nil), nil)
	_ = store.Fixed(r.Body)
	_ = store.Bounded(r.Context(), r.Body)
	_ = r.FormValue("q")
	resp, err := http.Get("http://127.0.0.1/")
	if err == nil {
		_ = json.NewDecoder(resp.Body).Decode(nil)
	}
}

// After ParseMultipartForm, FormFile reads nothing more: only the parse is reported.
func upload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<20)
	if err := r.ParseMultipartForm(5 << 20); err != nil { // want `\(\*http.Request\).ParseMultipartForm reads the request body`
		return
	}
	f, _, _ := r.FormFile("file")
	_ = f
}
