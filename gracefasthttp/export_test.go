package gracefasthttp

import (
	"net"

	"github.com/valyala/fasthttp"
)

// RaceIdleClose plays the race between the stop closing an idle keep-alive connection and a
// request read on it: the stop first (closeFirst), or the request first with the stop reaching
// the connection while the handler runs. It reports whether the handler ran and whether the
// connection was closed while it ran or before.
func RaceIdleClose(closeFirst bool) (handlerRan, closedDuring bool) {
	var c *trackedConn
	s := New(&fasthttp.Server{}, WithAddr("127.0.0.1:0"))
	next := func(*fasthttp.RequestCtx) {
		handlerRan = true
		if !closeFirst {
			closeIdleConn(c)
		}
		closedDuring = c.state.Load() == connClosed
	}
	server, client := net.Pipe()
	defer client.Close()
	c = &trackedConn{Conn: server, onClose: s.connClosed}
	c.state.Store(connIdle)
	s.connOpened(c)
	s.stopping.Store(true)
	if closeFirst {
		closeIdleConn(c)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init2(c, nil, false)
	s.handle(&ctx, next)
	if !handlerRan {
		closedDuring = c.state.Load() == connClosed
	}
	return handlerRan, closedDuring
}
