package testkit

import (
	"io"
	"net/http"
)

// Get makes one GET request to url with c and returns the status and the whole body. A
// connection error, or a body cut short, is returned as err (with the status, and what body
// arrived, when there was a response).
func Get(c *http.Client, url string) (status int, body string, err error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
