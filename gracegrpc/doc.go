// Package gracegrpc runs a gRPC server as a grace component that drains the way gRPC clients and
// load balancers expect.
//
// At the start of the app's drain the health service (grpc.health.v1.Health, registered on every
// [Server]) reports NOT_SERVING for "" and every registered service, and open health Watch
// streams are ended right after they have delivered NOT_SERVING: grpc's own health server keeps
// them open, and they would hold GracefulStop until it is forced (grpc-go #8776, #8882). RPCs
// keep being served through the drain delay. Long streams learn of the drain from their
// context through [Draining] and can wrap up on their own.
//
// At the server's turn to stop, GracefulStop closes the listener and lets RPCs in flight finish;
// it has no deadline of its own, so the Server gives it the component's stop limit less a
// margin, then cuts what still runs with grpc's Stop and returns a [*CutError] that names the
// methods cut — the grace report shows it.
//
// The health status is SERVING from the Server's Start; add the Server after the components it
// uses (grace's default order does that) so it only says SERVING when it can serve.
package gracegrpc
