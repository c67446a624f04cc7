// Package gin is a stub of github.com/gin-gonic/gin: the types gracevet recognises.
package gin

import (
	"mime/multipart"
	"net/http"
)

type Context struct{ Request *http.Request }

func (c *Context) FormFile(name string) (*multipart.FileHeader, error) { return nil, nil }
func (c *Context) JSON(code int, v any)                                {}

type Engine struct{}
