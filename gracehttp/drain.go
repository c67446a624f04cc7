package gracehttp

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Drain marks the server draining (see [Server]); it does not wait and never fails. Stop drains
// too, so Drain may be skipped. Safe to call more than once.
func (s *Server) Drain(context.Context) error {
	s.beginDrain()
	return nil
}

func (s *Server) beginDrain() {
	s.drainOnce.Do(func() {
		now := int64(time.Since(s.flight.epoch))
		s.drainAt.Store(now)
		s.arrival.Store(now)
		s.flight.sampleNow()
		s.draining.Store(true)
		close(s.drainCh)
		if s.cfg.quiet > 0 {
			s.mu.Lock()
			s.quietT = time.AfterFunc(s.cfg.quiet, s.checkQuiet)
			s.mu.Unlock()
		}
	})
}

// Quiet returns a channel that closes once no request (exempt ones aside) has arrived for the
// quiet period since the drain began, or nil when [WithQuietPeriod] is not set.
func (s *Server) Quiet() <-chan struct{} {
	if s.cfg.quiet <= 0 {
		return nil
	}
	return s.quietCh
}

func (s *Server) checkQuiet() {
	since := time.Since(s.flight.epoch) - time.Duration(s.arrival.Load())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quietSet || s.quietT == nil {
		return
	}
	if since >= s.cfg.quiet {
		s.quietSet = true
		close(s.quietCh)
		return
	}
	s.quietT.Reset(s.cfg.quiet - since)
}

// whileDraining notes the arrival, asks the client to go away, and in retry-after mode answers the
// request itself (returning true).
func (s *Server) whileDraining(w http.ResponseWriter, now int64) bool {
	s.arrival.Store(now)
	if s.rejecting.Load() {
		h := w.Header()
		h.Set("Retry-After", strconv.FormatInt(int64((s.cfg.retryAfter+time.Second-1)/time.Second), 10))
		h.Set("Connection", "close")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("draining\n"))
		return true
	}
	if spread := int64(s.cfg.spread); spread > 0 {
		if elapsed := now - s.drainAt.Load(); elapsed < spread && rand.Int64N(spread) >= elapsed {
			return false
		}
	}
	w.Header().Set("Connection", "close")
	return false
}

// Draining returns a channel that closes when the server that serves the request behind ctx
// begins to drain — a soft signal for uploads, long polls and streams to wrap up early; the hard
// one is ctx's cancellation near Stop's deadline. It returns nil (never closes) for a context
// that did not come from a [Server].
func Draining(ctx context.Context) <-chan struct{} {
	if s, ok := ctx.Value(serverKey{}).(*Server); ok {
		return s.drainCh
	}
	return nil
}
