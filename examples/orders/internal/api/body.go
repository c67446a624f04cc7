package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/gracekit/grace/gracehttp"
)

// readBody reads a small request body whole, refusing more than limit bytes. It reads through
// gracehttp.CopyContext, so a client that stalls mid-body cannot hold the drain past the
// request's hard cancel: the blocked read is interrupted when r.Context() ends.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var b bytes.Buffer
	_, err := gracehttp.CopyContext(r.Context(), &b, &limitReader{r: gracehttp.Body(w, r), left: limit})
	if errors.Is(err, errTooLarge) {
		return nil, fmt.Errorf("body larger than %d bytes", limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %v", err)
	}
	return b.Bytes(), nil
}
