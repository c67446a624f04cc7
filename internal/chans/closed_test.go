package chans_test

import (
	"testing"

	"github.com/gracekit/grace/internal/chans"
)

func TestClosed(t *testing.T) {
	ch := make(chan struct{}, 1)
	ch <- struct{}{} // a value is not a close
	if chans.Closed(nil) {
		t.Error("a nil channel reported closed")
	}
	<-ch
	if chans.Closed(ch) {
		t.Error("an open channel reported closed")
	}
	close(ch)
	if !chans.Closed(ch) {
		t.Error("a closed channel reported open")
	}
}
