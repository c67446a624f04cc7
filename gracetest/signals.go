package gracetest

import (
	"os"
	"slices"
	"sync"
)

// Signals is a fake grace.SignalSource: pass it with grace.WithSignalSource and deliver signals
// with Send. The zero value is ready to use.
type Signals struct {
	mu      sync.Mutex
	chans   []chan<- os.Signal
	stopped int
	changed chan struct{} // closed and replaced whenever Notify or Stop is called
}

func (s *Signals) changedLocked() chan struct{} {
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

func (s *Signals) notifyLocked() {
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
}

// Notify registers c, like signal.Notify. The signal set is ignored: Send delivers anything.
func (s *Signals) Notify(c chan<- os.Signal, _ ...os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chans = append(s.chans, c)
	s.notifyLocked()
}

// Stop unregisters c, like signal.Stop.
func (s *Signals) Stop(c chan<- os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.chans, c); i >= 0 {
		s.chans = slices.Delete(s.chans, i, i+1)
		s.stopped++
	}
	s.notifyLocked()
}

// Send waits until at least one channel is registered, then delivers sig to every registered
// channel without blocking, dropping it where a channel is full — as os/signal does.
func (s *Signals) Send(sig os.Signal) {
	for {
		s.mu.Lock()
		if len(s.chans) > 0 {
			for _, c := range s.chans {
				select {
				case c <- sig:
				default:
				}
			}
			s.mu.Unlock()
			return
		}
		ch := s.changedLocked()
		s.mu.Unlock()
		<-ch
	}
}

// TrySend delivers sig like Send if at least one channel is registered, and reports whether one
// was. It never waits: use it where the run may already have ended (Send would then wait for a
// Notify that never comes).
func (s *Signals) TrySend(sig os.Signal) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.chans {
		select {
		case c <- sig:
		default:
		}
	}
	return len(s.chans) > 0
}

// Listening reports how many channels are registered; Restored reports whether every channel
// that was registered has been unregistered again (signal handling restored).
func (s *Signals) Listening() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.chans)
}

// Restored reports whether at least one channel was registered and all have been unregistered.
func (s *Signals) Restored() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped > 0 && len(s.chans) == 0
}
