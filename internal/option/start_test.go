package option_test

import (
	"errors"
	"testing"

	"github.com/gracekit/grace/internal/option"
)

func TestStartValidatesThenReaches(t *testing.T) {
	bad, down := errors.New("bad config"), errors.New("refused")
	reached := false
	reach := func() error { reached = true; return down }
	if err := option.Start(func() error { return bad }, "server", reach); err != bad || reached {
		t.Fatalf("Start with a bad config = %v (reached %v), want the config's error and no round trip", err, reached)
	}
	err := option.Start(func() error { return nil }, "server", reach)
	if !errors.Is(err, down) || err.Error() != "reach server: refused" {
		t.Fatalf("Start with the server down = %v, want \"reach server: refused\" wrapping its error", err)
	}
	if err := option.Start(func() error { return nil }, "server", func() error { return nil }); err != nil {
		t.Fatalf("Start = %v, want nil", err)
	}
}
