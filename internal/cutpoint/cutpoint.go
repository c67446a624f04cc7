// Package cutpoint gives the cut point of [grace.CutAt] as a context, for an adapter whose stop
// waits on several things at once and must stop waiting at the cut point or when the stop's own
// context ends, whichever comes first. gracehttp3 uses it; graceamqp's publisher builds the same
// context by hand.
//
// It is internal: only code under github.com/gracekit/grace/ can import it.
package cutpoint

import (
	"context"
	"time"

	"github.com/gracekit/grace"
)

// Context returns a context that ends at the cut point [grace.CutAt] gives for ctx and margin, or
// when ctx ends; without a deadline on ctx there is no cut point, and it ends with ctx. Call
// cancel once the stop no longer waits.
func Context(ctx context.Context, margin time.Duration) (cut context.Context, cancel context.CancelFunc) {
	at, ok := grace.CutAt(ctx, margin)
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, at)
}
