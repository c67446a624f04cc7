// Package graceredis runs a go-redis client as a grace component.
//
// A [Client] pings Redis when the app starts, so an unreachable server fails the start with a
// clear error, and closes the client at its turn to stop: after every component that depends on
// it. Add it before the components that use it (or name it in their [grace.DependsOn]).
//
// go-redis's Close cuts every connection, in use or not. So the stop has two steps, both within
// the component's stop limit:
//
//  1. Graceful: wait for the connections in use — commands still in flight, blocking commands
//     such as BLPOP, transactions — to go back to the pool.
//  2. Forced, at the hard deadline (the stop deadline less [WithCutMargin], clamped to a tenth
//     of the limit by grace.CutAt), or at once when nothing is in use: Close. Commands still in
//     flight fail; Stop reports them as a *grace.InUseError (matching grace.ErrCut), and [Client.Account] counts each
//     connection cut as lost, so the app's exit code is grace.ExitLost.
//
// Subscriptions (PubSub) are not waited for — they have no end to wait for — and Close ends
// them.
//
// An unreachable server never holds the stop beyond the limit: closing sockets does not wait
// for the network.
package graceredis
