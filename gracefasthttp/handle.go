package gracefasthttp

import (
	"github.com/valyala/fasthttp"
)

// handle wraps the user's handler: health answers, tracking, and the drain's Connection: close.
func (s *Server) handle(ctx *fasthttp.RequestCtx, next fasthttp.RequestHandler) {
	path := ctx.Path()
	if s.cfg.App != nil && (string(path) == s.cfg.LivePath || string(path) == s.cfg.ReadyPath) {
		serveHealth(ctx, s.cfg.App, s.cfg.LivePath, s.cfg.ReadyPath)
		return
	}
	if s.cfg.exempt(path) {
		next(ctx)
		return
	}
	if s.stopping.Load() {
		// The stop may be closing this connection as idle just as this request was read on it:
		// exactly one side wins. If the stop did, the request is not run and gets no response
		// (the connection is closed here, before fasthttp could answer) — never a handler that
		// runs with its response bound for a closed connection.
		if c, ok := ctx.Conn().(*trackedConn); ok {
			if !c.claim.ForRequest() {
				c.Close()
				return
			}
			defer c.claim.Release()
		}
	}
	idx := s.flight.begin(ctx)
	defer s.flight.end(idx)
	if s.draining.Load() {
		s.quiet.Arrived(ctx.Time())
	}
	next(ctx)
	if s.draining.Load() {
		ctx.SetConnectionClose() // keep-alive clients reconnect through the load balancer
	}
}
