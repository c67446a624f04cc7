package gracefasthttp

import (
	"context"
	"errors"
	"time"

	"github.com/gracekit/grace"
)

// Stop drains the server at its turn, and returns once every request and connection has ended:
//
//  1. Intake stops: the listener is closed.
//  2. Idle keep-alive connections are closed at once; connections that turn idle later are
//     closed as they do; connections that have sent nothing get [WithLinger] to do so.
//  3. Stop returns nil on the event of the last request and connection ending.
//  4. At the cut point ([grace.CutAt] with [WithCutMargin]), the requests still running are
//     logged, counted as lost and returned in a [*CutError]; RequestCtx.Done closes for them.
//     Half a margin later their connections are closed.
//
// Stop is idempotent: a second call does nothing and returns nil.
func (s *Server) Stop(ctx context.Context) error {
	if !s.stopping.CompareAndSwap(false, true) {
		return nil
	}
	s.Drain(ctx) // a stop without a drain (rollback) still closes keep-alive connections
	s.quiet.Stop()
	if !s.started.Load() {
		return nil
	}
	s.ln.Close()
	s.closeIdle(false)
	linger := time.NewTimer(s.cfg.linger)
	defer linger.Stop()
	var cut, force <-chan time.Time
	if at, ok := grace.CutAt(ctx, s.cfg.CutMargin); ok {
		t := time.NewTimer(time.Until(at))
		defer t.Stop()
		cut = t.C
	}
	var cutErr *CutError
	for {
		if s.idle() {
			if cutErr != nil {
				return cutErr
			}
			return nil
		}
		select {
		case <-s.poke:
		case <-linger.C:
			s.closeIdle(true)
		case <-cut:
			cut = nil
			cutErr = s.hardStop()
			at, _ := ctx.Deadline()
			t := time.NewTimer(time.Until(at.Add(-s.cfg.CutMargin / 2)))
			defer t.Stop()
			force = t.C
		case <-force:
			force = nil
			s.closeAll()
		case <-ctx.Done():
			s.closeAll()
			if cutErr == nil {
				cutErr = s.hardStop()
			}
			return errors.Join(cutErr, context.Cause(ctx))
		}
	}
}

// idle reports whether no request runs and no connection is open.
func (s *Server) idle() bool {
	if s.flight.active.Load() > 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns) == 0
}

// nudge wakes Stop to look again.
func (s *Server) nudge() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}
