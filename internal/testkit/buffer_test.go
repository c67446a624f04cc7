package testkit_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/gracekit/grace/internal/testkit"
)

// TestBufferLines writes from several goroutines at once: each line comes back whole.
func TestBufferLines(t *testing.T) {
	var wg sync.WaitGroup
	var b testkit.Buffer
	for range 10 {
		wg.Go(func() { b.Line("a line") })
	}
	wg.Wait()
	if got, want := b.Lines(), slices.Repeat([]string{"a line"}, 10); !slices.Equal(got, want) {
		t.Errorf("lines %q, want 10 whole lines from 10 writers", got)
	}
	if got := new(testkit.Buffer).Lines(); got != nil {
		t.Errorf("an empty buffer's lines %q, want none", got)
	}
}
