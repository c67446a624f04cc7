package grace_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
)

func TestCutAtClampsTheMarginToTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, c := range []struct {
			limit, margin, want time.Duration // want: from now to the cut
		}{
			{25 * time.Second, 500 * time.Millisecond, 24500 * time.Millisecond},
			{300 * time.Millisecond, 500 * time.Millisecond, 270 * time.Millisecond}, // clamped: a 100 ms request finishes
			{time.Second, 0, time.Second},
			{time.Second, -time.Second, time.Second},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), c.limit)
			at, ok := grace.CutAt(ctx, c.margin)
			cancel()
			if got := time.Until(at); !ok || got != c.want {
				t.Errorf("limit %v, margin %v: cut after %v (ok %v), want %v", c.limit, c.margin, got, ok, c.want)
			}
		}
		if at, ok := grace.CutAt(context.Background(), time.Second); ok || !at.IsZero() {
			t.Errorf("no deadline: %v %v, want zero, false", at, ok)
		}
	})
}
