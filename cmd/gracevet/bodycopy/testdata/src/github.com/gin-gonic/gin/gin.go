// Package gin is a stub of github.com/gin-gonic/gin: what bodycopy's tests read the body with.
package gin

import (
	"mime/multipart"
	"net/http"
)

type Context struct{ Request *http.Request }

// FormFile parses the multipart form (reading the body) and returns the named file.
func (c *Context) FormFile(name string) (*multipart.FileHeader, error) { return nil, nil }
