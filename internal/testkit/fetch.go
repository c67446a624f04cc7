package testkit

import (
	"fmt"
	"io"
	"net/http"
)

// Fetched is what [Fetch] got back.
type Fetched struct {
	Status int    // the response's status code; 0 when no response came
	Body   string // the whole body
	Close  bool   // the response asked the client to close the connection (Connection: close)
	Err    error  // the request's or the body's error
}

// String shows the response in a failure message: `200 "ok"`, or the error.
func (f Fetched) String() string {
	if f.Err != nil {
		return fmt.Sprintf("%d %q (%v)", f.Status, f.Body, f.Err)
	}
	return fmt.Sprintf("%d %q", f.Status, f.Body)
}

// Fetch sends GET url with c and reads the response's whole body.
func Fetch(c *http.Client, url string) Fetched {
	resp, err := c.Get(url)
	if err != nil {
		return Fetched{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return Fetched{Status: resp.StatusCode, Body: string(body), Close: resp.Close, Err: err}
}
