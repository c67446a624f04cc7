// Look-alike: a server package that builds its http.Server and only ever closes it: it never
// drains, so nothing waits for its handlers.
package closer

import (
	"database/sql"
	"net/http"
)

type Server struct {
	db  *sql.DB
	srv *http.Server
}

func New() *Server {
	s := &Server{}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.get)}
	return s
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	_ = s.db.Ping()
}

func (s *Server) Stop() { s.srv.Close() }
