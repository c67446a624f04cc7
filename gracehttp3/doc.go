// Package gracehttp3 drains a quic-go HTTP/3 server (http3.Server) without losing a request, as a
// component of a grace.App.
//
// While the app's drain delay runs, the server keeps serving; readiness ([WithHealth]) answers
// 503 and liveness 200; handlers see [Draining]. At its turn to stop, [Server.Stop] calls the
// server's Shutdown, which sends every connection a GOAWAY: clients open no new streams on it,
// streams in flight run to completion, and each connection ends once its client has closed it.
// Stop returns on that event. At the cut point ([grace.CutAt]: the deadline minus
// [WithCutMargin], clamped to a tenth of the limit) the requests still running have their contexts
// cancelled (cause [ErrHardStop]) and are named in a [*CutError] (it matches [grace.ErrCut] and
// is a [grace.CutError]) and counted as lost in the server's [grace.Account]; half a margin later
// every connection is closed.
//
// Bad options do not make [New] fail: the Server is a [grace.Validator], and the app reports every
// problem before anything starts.
//
// What a client sees: requests already sent finish normally; after the GOAWAY a client opens new
// requests on a new connection — to another instance, if a load balancer or DNS sends it there,
// or to this one, which then refuses them, since its intake has stopped. A request cut at the
// deadline fails with a stream or connection error.
//
// What no restart can carry: a QUIC connection's state (keys, packet numbers, streams) lives in
// the process that accepted it; a successor given the same UDP socket (graceupgrade) receives the
// old connections' packets and cannot decrypt them, so they fail. Clients of an instance that
// hands over its socket must reconnect, which the GOAWAY asks them to do before the handover.
package gracehttp3
