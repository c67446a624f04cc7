package cutctx

import (
	"context"
	"time"
)

// Wait waits for done until the cut point of ctx with margin (the end of [Until]'s context) and
// reports whether done was closed by then: false at the cut point, or when ctx ends first.
func Wait(ctx context.Context, margin time.Duration, done <-chan struct{}) bool {
	cut, cancel := Until(ctx, margin)
	defer cancel()
	select {
	case <-done:
		return true
	case <-cut.Done():
		return false
	}
}
