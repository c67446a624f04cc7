package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestLeakedFindsAStrayGoroutineAndForgivesAFinishedOne(t *testing.T) {
	stop := make(chan struct{})
	go func() { <-stop }()
	if got := Leaked(50 * time.Millisecond); !strings.Contains(got, "TestLeakedFindsAStrayGoroutine") {
		t.Errorf("stray goroutine not reported: %q", got)
	}
	close(stop)
	if got := Leaked(2 * time.Second); got != "" {
		t.Errorf("finished goroutine reported: %q", got)
	}
}
