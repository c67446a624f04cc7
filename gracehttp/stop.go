package gracehttp

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gracekit/grace"
)

// Stop stops the server within ctx's deadline and returns once every request and connection has
// ended — at once, on the event, not on a poll. In order:
//
//  1. Drain, if Drain was not called.
//  2. Stop intake: close the listeners (in retry-after mode, only once the requests already
//     running have finished, answering new ones 503 meanwhile), turn keep-alives off, close idle
//     connections, and, for a server that speaks HTTP/2, send GOAWAY on every HTTP/2 connection.
//     Hijacked connections are handed to the [WithGoAway] hook.
//  3. Wait for running requests and open connections. Once no request runs, connections that do
//     not close on their own are closed after the linger ([WithLinger]).
//  4. At the cut point — the deadline minus the cut margin ([WithCutMargin]), the margin
//     clamped to a tenth of the time left when Stop began (grace.CutAt) — cancel every request
//     context (cause [ErrHardStop]) and log the requests cut; at the deadline minus half the
//     margin, close every connection, hijacked ones included. What was cut is counted as lost
//     by [Server.Account].
//
// It returns nil when everything ended by itself, an error wrapping a [*CutError] when requests
// had to be cut, and ctx's error if even closing did not end them in time. It logs the requests
// still running after the slow-drain time ([WithSlowDrain]). Safe to call more than once; later
// calls wait for the first and return its result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.stopErr = s.stop(ctx)
		close(s.done)
	})
	<-s.done
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	defer s.stopWatch()
	s.beginDrain()
	s.stopping.Store(true)
	s.mu.Lock()
	if s.quietT != nil {
		s.quietT.Stop()
	}
	s.mu.Unlock()
	defer s.cancelContexts(context.Canceled)

	var hardC, forceC <-chan time.Time
	if cutAt, ok := grace.CutAt(ctx, s.cfg.cutMargin); ok {
		deadline, _ := ctx.Deadline()
		hard := time.NewTimer(time.Until(cutAt))
		defer hard.Stop()
		force := time.NewTimer(time.Until(deadline.Add(-deadline.Sub(cutAt) / 2)))
		defer force.Stop()
		hardC, forceC = hard.C, force.C
	}
	slow := time.NewTimer(s.cfg.slowDrain)
	defer slow.Stop()

	var hooks sync.WaitGroup
	defer hooks.Wait() // hooks end at the latest when the force-close closes their connections
	abort := make(chan struct{})
	defer close(abort) // hooks spread over time and not yet called are not called
	// Idle connections first, all at once (see closeIdle); a connection that turns idle from
	// now on is closed by connState, and every response from now on says "Connection: close"
	// (serveHTTP).
	s.closeIdle()
	if s.h2 {
		// With keep-alives off, Go's HTTP/2 server sends GOAWAY on a connection whose last
		// stream ends.
		s.srv.SetKeepAlivesEnabled(false)
	}
	s.goAwayHijacked(&hooks, abort)
	if s.cfg.retryAfter > 0 {
		s.rejecting.Store(true)
	} else {
		s.closeIntake()
	}

	var cut *CutError
	hardDone := false
	var linger *time.Timer
	var lingerC <-chan time.Time
	lingered := false // the linger ran out since requests last ran
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	intakeOpen := s.cfg.retryAfter > 0
	for {
		active := s.flight.active.Load()
		if intakeOpen && active == 0 {
			intakeOpen = false
			s.closeIntake()
		}
		s.mu.Lock()
		conns, serving := len(s.conns), s.serving
		s.mu.Unlock()
		if active == 0 && conns == 0 && serving == 0 && s.idleClosing.Load() == 0 {
			break
		}
		switch {
		case active == 0 && linger == nil && !lingered:
			linger = time.NewTimer(s.cfg.linger)
			lingerC = linger.C
		case active > 0:
			lingered = false
			if linger != nil {
				linger.Stop()
				linger, lingerC = nil, nil
			}
		}
		select {
		case <-s.wake:
		case <-lingerC:
			linger, lingerC, lingered = nil, nil, true
			if s.flight.active.Load() == 0 {
				waiting := false
				s.closeWhere(func(c *trackedConn) bool {
					closeIt, wait := closesAtLinger(c)
					waiting = waiting || wait
					return closeIt
				})
				lingered = !waiting // a request on its way: look again after another linger
			}
		case <-slow.C:
			if list := s.flight.list(); len(list) > 0 {
				s.log.Warn("gracehttp: slow drain, requests still running", "server", s.cfg.name,
					"count", s.flight.active.Load(), "requests", list)
			}
		case <-hardC:
			hardC, hardDone = nil, true
			cut = s.hardStop()
		case <-forceC:
			forceC = nil
			s.forceClose()
		case <-ctx.Done():
			if !hardDone {
				cut = s.hardStop()
			}
			s.forceClose()
			return s.stopError(cut, context.Cause(ctx))
		}
	}
	return s.stopError(cut, nil)
}

func (s *Server) stopError(cut *CutError, ctxErr error) error {
	var errs []error
	if cut != nil {
		errs = append(errs, cut)
	}
	if ctxErr != nil {
		errs = append(errs, ctxErr)
	}
	s.mu.Lock()
	if s.serveErr != nil {
		errs = append(errs, s.serveErr)
	}
	s.mu.Unlock()
	if len(errs) == 1 {
		return errs[0] // the app names the component and the stop: nothing to add
	}
	return errors.Join(errs...)
}

// closeIntake closes the listeners and, for HTTP/2, sends GOAWAY on every connection.
func (s *Server) closeIntake() {
	s.mu.Lock()
	lns := s.lns
	s.mu.Unlock()
	for _, l := range lns {
		_ = l.Close()
	}
	if s.h2 {
		// Shutdown with a done context: wait for the Serve loops, post GOAWAY to every HTTP/2
		// connection, close idle HTTP/1 ones, and return without polling.
		done, cancel := context.WithCancel(context.Background())
		cancel()
		_ = s.srv.Shutdown(done)
	}
}

func (s *Server) goAwayHijacked(hooks *sync.WaitGroup, abort <-chan struct{}) {
	if s.cfg.goAway == nil {
		return
	}
	s.mu.Lock()
	var hj []*trackedConn
	for c := range s.conns {
		if c.hijacked && !c.closed.Load() {
			hj = append(hj, c)
		}
	}
	s.mu.Unlock()
	if len(hj) == 0 {
		return
	}
	call := func(c *trackedConn) {
		s.mu.Lock()
		outer := c.outer
		s.mu.Unlock()
		if !c.closed.Load() {
			hooks.Go(func() { s.cfg.goAway(outer) })
		}
	}
	if s.cfg.goAwaySpread <= 0 || len(hj) == 1 {
		for _, c := range hj {
			call(c)
		}
		return
	}
	// Spread: the i-th of n connections is told at i/n of the spread.
	hooks.Go(func() {
		begin := time.Now()
		t := time.NewTimer(0)
		defer t.Stop()
		for i, c := range hj {
			t.Reset(time.Until(begin.Add(s.cfg.goAwaySpread * time.Duration(i) / time.Duration(len(hj)))))
			select {
			case <-t.C:
				call(c)
			case <-abort:
				return
			}
		}
	})
}

// forceClose closes every connection, hijacked ones included.
//
// A connection counts as ended from then on as soon as it is closed, without waiting for
// net/http's goroutine to finish with it: after an unread request body that goroutine may
// linger for net/http's reset-avoidance delay (half a second) before it ends on its own.
func (s *Server) forceClose() {
	s.mu.Lock()
	s.forced = true
	s.cutConns.Add(s.openDetachedLocked())
	s.mu.Unlock()
	s.closeWhere(func(*trackedConn) bool { return true })
	_ = s.srv.Close()
	s.mu.Lock()
	for c := range s.conns {
		if c.closed.Load() {
			delete(s.conns, c)
		}
	}
	s.mu.Unlock()
}

// openDetachedLocked counts the hijacked connections still open whose handler returned before
// the hard stop: the work they carry is the server's to account for.
func (s *Server) openDetachedLocked() int64 {
	var n int64
	for c := range s.conns {
		if c.hijacked && c.is(connDetached) && !c.closed.Load() {
			n++
		}
	}
	return n
}

func (s *Server) requestsIdle() {
	if s.stopping.Load() {
		s.poke()
	}
}

func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
