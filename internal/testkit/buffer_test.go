package testkit_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gracekit/grace/internal/testkit"
)

func TestBufferLines(t *testing.T) {
	var b testkit.Buffer
	if got := b.Lines(); got != nil {
		t.Fatalf("empty buffer's lines %q, want none", got)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { b.Line(strconv.Itoa(i)) })
	}
	wg.Wait()
	if got := b.Lines(); len(got) != 10 || strings.Count(b.String(), "\n") != 10 {
		t.Fatalf("lines %q, want 10 whole lines from 10 writers", got)
	}
}
