// Package gracehttp drains net/http servers without losing a request, as a component of a
// grace.App.
//
// http.Server.Shutdown polls (1 ms doubling to 500 ms) and so returns long after the last
// request ended; it closes the listener at once, so connections a load balancer still sends are
// refused; it never cancels request contexts, ignores hijacked connections, leaves active
// connections open past its deadline, and drops a request read on a keep-alive connection just
// after it began. [Server] does the drain itself:
//
//   - While the app's drain delay runs, the server keeps accepting and serving, readiness
//     ([Health]) answers 503 while liveness stays 200, responses ask persistent clients to
//     reconnect (through the load balancer, to another instance), and handlers see [Draining].
//   - Then intake stops, running requests finish, and Stop returns on the event of the last
//     request and connection ending. Near the deadline (grace.CutAt: the cut margin, clamped
//     to a tenth of the stop limit, so a request shorter than nine tenths of the limit always
//     finishes) request contexts are cancelled, then connections, hijacked ones included, are
//     closed; the requests cut are logged, returned in a [*CutError] and counted as lost by
//     [Server.Account], which makes the app's exit code grace.ExitLost.
//
// # Clients that ignore readiness
//
// A load balancer stops sending once readiness fails, so by the time intake stops nothing is
// queued. A client that dials the instance directly and keeps sending can still lose a request:
// a connection the kernel accepted but net/http had not yet taken from the accept queue is
// reset when the listener closes (examples/orders' tests saw a few when their client kept sending
// past readiness).
// For such clients use [WithRetryAfter], which keeps the listener open and answers new requests
// 503 with Retry-After until the running ones have finished.
//
// # HTTP/2
//
// HTTP/2 is drained over TLS (ALPN) and as h2c (http.Server.Protocols with UnencryptedHTTP2). A
// response sent while draining carries "Connection: close", which Go's HTTP/2 server turns into
// a GOAWAY for that connection; at Stop every HTTP/2 connection gets one. What Go's GOAWAY can
// and cannot do:
//
//   - It is a single GOAWAY naming the highest stream the server has seen, not RFC 9113's
//     two-step drain (a GOAWAY with the largest stream ID, a PING round trip, then the final one).
//     Streams the client opened concurrently, still in flight towards the server, are refused
//     silently: the client must retry them. Go's Transport does; other clients and proxies may not.
//   - Streams already open run to completion; the client opens new ones on a new connection.
//   - Go's server closes the connection only one second after its last stream ends (so the
//     GOAWAY is not lost to a reset); Stop does not wait for that: once no request runs, it
//     closes the connections left after the linger ([WithLinger]).
//   - There is no GOAWAY for a single idle connection without a response to carry it except
//     through http.Server.Shutdown, which Stop calls (with a context already done, so it never
//     polls) once intake is closed. Shutdown marks the server as shutting down, after which an
//     HTTP/1 request read on a connection accepted earlier is dropped unanswered; Stop therefore
//     calls it only on servers that speak HTTP/2.
//
// # Hijacked connections
//
// Hijacked connections (WebSockets and the like) are tracked from accept to Close, told to go
// away through the [WithGoAway] hook at Stop ([WebSocketGoingAway] writes a WebSocket close
// frame 1001), optionally spread over a window ([WithGoAwaySpread]) so their clients do not all
// reconnect at once, waited for, and closed at the deadline.
package gracehttp
