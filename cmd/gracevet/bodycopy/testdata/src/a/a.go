package a

import (
	"bytes"
	"context"
	"io"
	"io/ioutil"
	"net/http"
	"os"
	"time"
)

// Positive: a plain copy of the body to a file.
func upload(w http.ResponseWriter, r *http.Request) {
	f, _ := os.CreateTemp("", "upload")
	defer f.Close()
	_, _ = io.Copy(f, r.Body) // want `io.Copy of the request body in an HTTP handler ignores the request context: a slow client holds Shutdown until it finishes; use gracehttp.CopyContext\(r.Context\(\), dst, r.Body\) \(github.com/gracekit/grace/gracehttp\)`
}

// Positive: ReadAll through a size limit is still a blocking read.
func decode(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20)) // want `io.ReadAll of the request body`
	_ = body
}

// Positive: the wrapper held in a variable first; a derived ctx is named in the advice.
func (s *srv) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), time.Second)
	defer cancel()
	_ = ctx
	limited := io.LimitReader(req.Body, 1<<20)
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(limited)                    // want `\(\*bytes.Buffer\).ReadFrom of the request body in an HTTP handler ignores the request context: .* use gracehttp.CopyContext\(ctx, dst, limited\)`
	_, _ = io.CopyN(io.Discard, req.Body, 10)       // want `io.CopyN of the request body`
	_, _ = io.CopyBuffer(io.Discard, req.Body, nil) // want `io.CopyBuffer of the request body`
	_, _ = ioutil.ReadAll(req.Body)                 // want `ioutil.ReadAll of the request body`
}

type srv struct{}

// Look-alike: copies that do not read the request body.
func download(w http.ResponseWriter, r *http.Request) {
	f, _ := os.Open("file")
	defer f.Close()
	_, _ = io.Copy(w, f)
	resp, err := http.Get("http://127.0.0.1/")
	if err == nil {
		_, _ = io.ReadAll(resp.Body)
	}
}

// Look-alike: the handler closes the body when the context ends.
func afterFunc(w http.ResponseWriter, r *http.Request) {
	stop := context.AfterFunc(r.Context(), func() { r.Body.Close() })
	defer stop()
	_, _ = io.Copy(io.Discard, r.Body)
}

// Look-alike: a read deadline bounds the copy.
func deadline(w http.ResponseWriter, r *http.Request) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.ReadAll(r.Body)
}

// Look-alike: the reader is built with the context, so it is context-aware.
func ctxReader(ctx context.Context, r io.Reader) io.Reader { return r }

func wrapped(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, ctxReader(r.Context(), r.Body))
}

// Not a handler, so not reported itself; a helper whose callers in handlers are (see package
// cross).
func readAll(r *http.Request) []byte { // want readAll:"reads param 0 with io.ReadAll at a.go:75"
	b, _ := io.ReadAll(r.Body)
	return b
}

// Look-alike: a variable once holding the body, later reassigned: unsure, not reported.
func reassigned(w http.ResponseWriter, r *http.Request) {
	var src io.Reader = r.Body
	src = bytes.NewReader(nil)
	_, _ = io.ReadAll(src)
}

// Positive: a variable declared from the body.
func declared(w http.ResponseWriter, r *http.Request) {
	var src io.Reader = r.Body
	_, _ = io.ReadAll(src) // want `io.ReadAll of the request body`
}
