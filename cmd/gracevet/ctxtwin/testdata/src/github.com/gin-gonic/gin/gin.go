// Package gin is a stub of github.com/gin-gonic/gin: the types ctxtwin's tests use.
package gin

import "net/http"

// Context carries the request, as gin's does.
type Context struct{ Request *http.Request }

// Engine stands for gin's router: a function taking one is not a handler.
type Engine struct{}
