// Package cutctx gives the adapters of this repository the context that ends at a component's
// cut point — the moment, computed by grace.CutAt, when a stop cuts the work it still has in
// hand — so that each adapter waits "until the cut point" the same way.
package cutctx

import (
	"context"
	"fmt"
	"time"

	"github.com/gracekit/grace"
)

// ErrCutPoint is the cause of a context from [Until] that ended at the cut point. It wraps
// context.DeadlineExceeded. It does not match grace.ErrCut: the error that says what was cut
// is the adapter's own.
var ErrCutPoint = fmt.Errorf("reached the cut point before the stop deadline: %w", context.DeadlineExceeded)

// Until returns a context that ends with ctx, or at grace.CutAt(ctx, margin) with cause
// [ErrCutPoint]. Without a deadline on ctx there is no cut point: the context ends with ctx.
// Call the cancel function when done, as for context.WithCancel.
func Until(ctx context.Context, margin time.Duration) (context.Context, context.CancelFunc) {
	cut, ok := grace.CutAt(ctx, margin)
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadlineCause(ctx, cut, ErrCutPoint)
}
