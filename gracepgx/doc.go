// Package gracepgx runs a pgx connection pool (pgxpool) as a grace component.
//
// A [Pool] pings PostgreSQL when the app starts, so an unreachable server or a refused login
// fails the start with a clear error, and closes the pool at its turn to stop: after every
// component that depends on it. Add it before the components that use it (or name it in their
// [grace.DependsOn]).
//
// Closing has two steps, both within the component's stop limit:
//
//  1. Graceful: the pool refuses new acquires, closes idle connections and waits for the
//     acquired ones to be released — the transactions and queries still in flight finish.
//  2. Forced, at the hard deadline (the stop deadline less [WithCutMargin], clamped to a tenth
//     of the limit by grace.CutAt): the socket of every connection still acquired is closed.
//     The holder's call fails at once, pgx sends a cancel request for a query in flight so the
//     server stops running it, and PostgreSQL rolls back the open transaction. Stop reports them
//     as a *grace.InUseError (matching grace.ErrCut), and [Pool.Account] counts each as a lost connection — the work on it
//     (a transaction rolled back, a query cancelled) is lost, so the app's exit code is
//     grace.ExitLost.
//
// An unreachable server never holds the stop beyond the limit: closing a socket does not wait
// for the network.
package gracepgx
