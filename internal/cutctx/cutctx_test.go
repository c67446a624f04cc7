package cutctx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
)

// TestUntilEndsAtTheCutPoint: the context ends at grace.CutAt of its parent, before the
// parent's deadline, with cause ErrCutPoint, which is a deadline and not grace.ErrCut.
func TestUntilEndsAtTheCutPoint(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	want, _ := grace.CutAt(parent, 300*time.Millisecond)
	ctx, stop := cutctx.Until(parent, 300*time.Millisecond)
	defer stop()
	// (CutAt clamps by the time left when it is called: a few ns apart here.)
	if got, ok := ctx.Deadline(); !ok || got.Sub(want).Abs() > 5*time.Millisecond {
		t.Fatalf("deadline %v (%v), want the cut point %v", got, ok, want)
	}
	<-ctx.Done()
	if parent.Err() != nil {
		t.Fatal("ended with its parent, not before")
	}
	cause := context.Cause(ctx)
	if !errors.Is(cause, cutctx.ErrCutPoint) || !errors.Is(cause, context.DeadlineExceeded) || errors.Is(cause, grace.ErrCut) {
		t.Errorf("cause %v: want ErrCutPoint, a deadline, not grace.ErrCut", cause)
	}
}

// TestUntilWithoutDeadline: no deadline, no cut point; the context ends with its parent or its
// cancel function.
func TestUntilWithoutDeadline(t *testing.T) {
	ctx, stop := cutctx.Until(context.Background(), time.Second)
	if _, ok := ctx.Deadline(); ok {
		t.Fatal("a deadline without one on the parent")
	}
	stop()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after cancel: %v, want context.Canceled", ctx.Err())
	}
}

func TestWaitReportsWhetherDoneClosedBeforeTheCutPoint(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	if !cutctx.Wait(context.Background(), time.Second, closed) {
		t.Error("Wait on a closed channel = false, want true")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	begin := time.Now()
	if cutctx.Wait(ctx, 100*time.Millisecond, make(chan struct{})) {
		t.Fatal("Wait on a channel never closed = true, want false")
	}
	// The cut point is 30 ms before the deadline (the margin clamped to a tenth of 300 ms).
	if d := time.Since(begin); d > 290*time.Millisecond {
		t.Errorf("Wait returned after %v, want at the cut point, before ctx's deadline", d)
	}
	ended, end := context.WithCancel(context.Background())
	end()
	if cutctx.Wait(ended, time.Second, make(chan struct{})) {
		t.Error("Wait with an ended ctx = true, want false")
	}
}
