package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// readBody reads a small request body whole, refusing more than limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fmt.Errorf("body larger than %d bytes", limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %v", err)
	}
	return b, nil
}
