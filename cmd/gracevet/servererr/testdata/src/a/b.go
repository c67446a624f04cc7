package a

import (
	"log"
	"net/http"
)

// Positive: no errors import in this file, so no fix is offered.
func noErrorsImport(serve func() error) {
	if err := serve(); err != http.ErrServerClosed { // want `comparison with http.ErrServerClosed misses a wrapped error`
		log.Print(err)
	}
}
