// Look-alike: a program that never drains has no Shutdown for a handler to hold up.
package main

import (
	"database/sql"
	"log"
	"net/http"
)

func main() {
	var db *sql.DB
	log.Fatal(http.ListenAndServe("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = db.Ping()
	})))
}
