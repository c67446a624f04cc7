package gracefasthttp

import (
	"github.com/valyala/fasthttp"
)

// handle wraps the user's handler: health answers, tracking, and the drain's Connection: close.
func (s *Server) handle(ctx *fasthttp.RequestCtx, next fasthttp.RequestHandler) {
	path := ctx.Path()
	if s.cfg.app != nil && (string(path) == s.cfg.livePath || string(path) == s.cfg.readyPath) {
		serveHealth(ctx, s.cfg.app, s.cfg.livePath, s.cfg.readyPath)
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
		s.lastArrival.Store(ctx.Time().UnixNano())
	}
	next(ctx)
	if s.draining.Load() {
		ctx.SetConnectionClose() // keep-alive clients reconnect through the load balancer
	}
}
