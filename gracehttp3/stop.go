package gracehttp3

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gracekit/grace/internal/cutctx"
)

// Stop sends every connection a GOAWAY (the server's Shutdown), lets streams in flight finish,
// and returns once every connection has ended. At the cut point the requests still running are
// cancelled (cause [ErrHardStop]), named in a [*CutError] and counted as lost; half a margin later
// every connection is closed. The UDP socket is closed before Stop returns. Stop is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	if s.stopping.Swap(true) {
		return nil // stopped already, or stopping
	}
	s.Drain(ctx)
	if !s.started.Load() {
		return nil
	}
	defer s.conn.Close()
	shutCtx, cancelShut := context.WithCancel(context.Background())
	defer cancelShut()
	shut := make(chan error, 1)
	go func() { shut <- s.srv.Shutdown(shutCtx) }()      // returns once every connection has closed
	cut, cancelCut := cutctx.Until(ctx, s.cfg.CutMargin) // ends at the cut point, or with ctx
	defer cancelCut()
	select {
	case err := <-shut:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-cut.Done():
	}
	cutErr := s.hardStop()
	// Half a margin for the cancelled handlers to return, then close every connection.
	settle := time.NewTimer(s.cfg.CutMargin / 2)
	defer settle.Stop()
	select {
	case <-s.waitIdle():
	case <-settle.C:
	case <-ctx.Done():
	}
	cancelShut() // Shutdown closes the server, and with it every connection
	select {
	case <-shut:
	case <-ctx.Done():
	}
	if cutErr != nil {
		return cutErr
	}
	return context.Cause(ctx)
}

// waitIdle returns a channel closed once no request runs.
func (s *Server) waitIdle() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	if len(s.inflight) == 0 {
		close(ch)
		return ch
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	return s.idle
}
