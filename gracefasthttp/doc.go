// Package gracefasthttp drains a fasthttp server without losing a request, as a component of a
// grace.App. [gracefiber] builds on it for Fiber.
//
// fasthttp's own ShutdownWithContext closes the listener at once (connections a load balancer
// still sends are refused), polls every 100 ms, never closes keep-alive connections that stay
// busy, and, when its context ends, returns with the remaining connections still running. [Server]
// does the drain itself:
//
//   - While the app's drain delay runs, the server keeps accepting and serving; readiness
//     ([Health]) answers 503 while liveness stays 200; every response carries
//     "Connection: close", so keep-alive clients reconnect through the load balancer; handlers
//     see [Server.Draining]. With [WithQuietPeriod], the delay ends early once no request
//     (health checks excluded) has arrived for the quiet period.
//   - At its turn to stop, intake stops (the listener is closed), idle keep-alive connections
//     are closed at once, connections that become idle are closed as they do, and Stop returns on
//     the event of the last request and connection ending — no polling.
//   - At the cut point ([grace.CutAt]: the deadline minus [WithCutMargin], clamped to a tenth
//     of the limit), requests still running see RequestCtx.Done close (fasthttp's only
//     cancellation signal); half a margin later their connections are closed. Each request cut
//     is named (method, path, age) in a [*CutError] (it matches [grace.ErrCut] and is a
//     [grace.CutError]) and counted as lost in the server's [grace.Account], so the app's
//     report and exit code show it.
//
// Bad options ([WithCutMargin] of zero, a nil listener, …) do not make [New] fail: the Server is a
// [grace.Validator], and the app reports every problem before anything starts.
//
// fasthttp keeps goroutines of its own past a server's end: the clock that dates responses (one
// per process) and its worker pool's cleaner, which notices the end only after its sleep
// (Server.MaxIdleWorkerDuration, 10 s by default). The app's report may list the cleaner as a
// goroutine the server left behind; it holds no connection.
//
// The server's Handler and ConnState fields are wrapped at Start (a ConnState of the user's is
// still called). Set the handler before Start; do not call the server's Shutdown yourself.
package gracefasthttp
