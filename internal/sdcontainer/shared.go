package sdcontainer

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

// Shared is one container for a whole test package: booted by the first [Shared.Get], reused by
// the others, powered off by [Shared.Stop] (from TestMain, after m.Run). The zero value is ready
// to use; it is safe for concurrent use by parallel tests.
type Shared struct {
	mu      sync.Mutex
	c       *Container
	err     error
	tried   bool
	elapsed time.Duration
}

// Get returns the package's container, booting it on first use. If this machine cannot boot one
// ([ErrUnavailable]: not root, tools missing) it fails t under CI=true and skips t otherwise; any
// other failure to boot fails t. A failed boot is not retried: later tests fail (or skip) at once
// with the same error.
func (s *Shared) Get(t testing.TB) *Container {
	t.Helper()
	s.mu.Lock()
	if !s.tried {
		s.tried = true
		start := time.Now()
		s.c, s.err = Boot(context.Background())
		s.elapsed = time.Since(start)
		if s.err == nil {
			t.Logf("sdcontainer: %s booted in %v (PID 1 = host PID %d)", s.c.Name, s.elapsed.Round(time.Millisecond), s.c.PID1)
		}
	}
	c, err := s.c, s.err
	s.mu.Unlock()
	if err != nil {
		if errors.Is(err, ErrUnavailable) && os.Getenv("CI") != "true" {
			t.Skipf("real systemd: %v (fails under CI=true)", err)
		}
		t.Fatalf("real systemd: %v", err)
	}
	return c
}

// Stop powers the container off if Get booted one. It may be called when no test used it.
func (s *Shared) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil
	}
	err := s.c.Stop()
	s.c = nil
	return err
}
