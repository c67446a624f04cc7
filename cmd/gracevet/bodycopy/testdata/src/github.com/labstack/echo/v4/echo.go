// Package echo is a stub of github.com/labstack/echo/v4: the types gracevet recognises.
package echo

import "net/http"

type Context interface {
	Request() *http.Request
	String(code int, s string) error
}
