package gracekafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Stop is the consumer's turn to stop. In order, each step bounded by ctx: stop polling; wait for
// Run to finish the batch in hand and commit it; commit anything handled since; leave the group
// (so its partitions go to other members at once, not after a session timeout — franz-go skips
// this for a static member, kgo.InstanceID); close the client. It returns once the client is
// closed.
//
// The wait for the batch in hand ends at the cut point, grace.CutAt(ctx, margin)
// ([WithCutMargin]): there the handler's ctx is cancelled (cause grace.ErrCut), Run rewinds the
// records it did not handle and returns, and Stop goes on with the commit, the leave and the
// close in the margin left; it returns a [CutError] counting the records handed back. If ctx
// ends before the client is closed, Stop returns ctx's cause at once and the close finishes in
// the background: a last try to leave the group, bounded by the cut margin, then every request
// in flight is cancelled (see [Consumer.Closed]); records handled but not
// committed are delivered again — at most one batch. Errors of the commit or the leave are
// returned joined. Calling Stop after the close returns nil.
func (c *Consumer) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() { close(c.stopping) })
	c.mu.Lock()
	cl, runDone, cutRun := c.cl, c.runDone, c.cutRun
	c.mu.Unlock()
	if cl == nil {
		return nil
	}
	var errs []error
	if runDone != nil {
		cutCtx, cancel := cutctx.Until(ctx, c.cfg.cutMargin)
		select {
		case <-runDone:
		case <-cutCtx.Done():
			if n := c.held.Load(); n > 0 {
				errs = append(errs, &CutError{Records: n})
			}
			cutRun(grace.ErrCut)
			select {
			case <-runDone:
			case <-ctx.Done():
				cancel()
				return errors.Join(append(errs, c.abort(ctx, cl, "finish the records in hand"))...)
			}
		}
		cancel()
	}
	select {
	case <-c.closed:
		return errors.Join(errs...) // stopped before
	default:
	}
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		errs = append(errs, fmt.Errorf("commit offsets: %w", err))
	}
	if ctx.Err() != nil {
		return errors.Join(append(errs, c.abort(ctx, cl, "commit"))...)
	}
	c.countLeft(cl)
	if err := cl.LeaveGroupContext(ctx); err != nil {
		if ctx.Err() != nil {
			return errors.Join(append(errs, c.abort(ctx, cl, "leave group "+quote(c.group)))...)
		}
		errs = append(errs, fmt.Errorf("leave group %s: %w", quote(c.group), err))
	}
	c.closeClient(cl)
	select {
	case <-c.closed:
	case <-ctx.Done():
		errs = append(errs, c.abort(ctx, cl, "close"))
	}
	return errors.Join(errs...)
}

// abort ends the stop at ctx's deadline. The close goes on in the background: the client gets
// the cut margin ([WithCutMargin]) for a last try to leave its group (committing what was
// handled, in the revoke), so that its partitions move at once rather than after a session
// timeout; then every request still in flight is cancelled and the client closes. If the close
// had already begun, its requests are cancelled at once.
func (c *Consumer) abort(ctx context.Context, cl *kgo.Client, step string) error {
	cl.AllowRebalance() // a handler still running must not hold the leave
	started := false
	c.closeOnce.Do(func() {
		started = true
		c.countLeft(cl)
		go func() {
			leaveCtx, cancelLeave := context.WithTimeout(context.Background(), c.cfg.cutMargin)
			_ = cl.LeaveGroupContext(leaveCtx) // best effort: a failed leave costs a session timeout
			cancelLeave()
			c.cancel()
			cl.Close()
			close(c.closed)
		}()
	})
	if !started {
		c.cancel() // a close already under way: cut its requests short
	}
	return fmt.Errorf("stopped at %s: %w", step, context.Cause(ctx))
}

func (c *Consumer) closeClient(cl *kgo.Client) {
	c.closeOnce.Do(func() {
		go func() {
			cl.Close()
			c.cancel()
			close(c.closed)
		}()
	})
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
