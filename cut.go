package grace

import (
	"context"
	"time"
)

// DefaultCutMargin is the margin adapters leave, by default, between cutting the work still in
// hand at a stop and the stop's deadline: the time the cut itself takes (cancelling contexts,
// rolling back, closing connections). See [CutAt].
const DefaultCutMargin = 500 * time.Millisecond

// CutAt returns the moment a component stopping under ctx should cut the work it still has in
// hand — cancel requests, abort queries, stop waiting for acknowledgements — so that the cut
// finishes before ctx's deadline. It is the deadline minus margin, with the margin clamped to a
// tenth of the time left when CutAt is called: a component given a short limit still lets work
// shorter than nine tenths of that limit finish, whatever margin it was configured with. A
// non-positive margin cuts at the deadline itself. Without a deadline on ctx, CutAt returns the
// zero time and false: nothing needs cutting.
//
// Every adapter in this repository computes its hard-stop point with CutAt, so one rule holds
// across them.
func CutAt(ctx context.Context, margin time.Duration) (time.Time, bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return time.Time{}, false
	}
	if left := time.Until(deadline); margin > left/10 {
		margin = max(left/10, 0)
	}
	return deadline.Add(-max(margin, 0)), true
}
