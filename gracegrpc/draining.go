package gracegrpc

import "context"

type drainKey struct{}

// Draining returns a channel that is closed when the server that is handling the RPC of ctx
// starts draining: the app is stopping, health says NOT_SERVING, and a long stream should wrap
// up — send what it owes, then return — so the graceful stop need not cut it. The RPC's context
// itself is not cancelled by the drain (only by the hard stop at the deadline).
//
// For a context that does not come from a [Server]'s RPC, Draining returns nil, a channel that
// never delivers, so handlers can select on it unconditionally.
func Draining(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(drainKey{}).(chan struct{})
	return ch
}
