package lb

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"
)

// DefaultWatchInterval is how often Watch looks at a stopping service.
const DefaultWatchInterval = 10 * time.Millisecond

// Observations are the instants Watch saw; a zero time means not seen.
type Observations struct {
	NotReady       time.Time // first probe that did not answer 200
	ListenerClosed time.Time // first TCP connect that was refused
}

// Watch looks at a stopping service every interval until ctx is done or both things were seen:
// when its readiness URL stops answering 200, and when its listener refuses connections. It
// calls seen (if not nil) as each is first observed, then returns the observations.
func (p *Prober) Watch(ctx context.Context, readyURL, hostport string, interval time.Duration, seen func(what string, at time.Time)) Observations {
	var obs Observations
	tick := time.NewTicker(interval)
	defer tick.Stop()
	note := func(what string, at time.Time) {
		if seen != nil {
			seen(what, at)
		}
	}
	for {
		if obs.ListenerClosed.IsZero() && refused(hostport) {
			obs.ListenerClosed = time.Now()
			note("listener closed", obs.ListenerClosed)
			if obs.NotReady.IsZero() { // nothing listens, so nothing is ready
				obs.NotReady = obs.ListenerClosed
				note("not ready", obs.NotReady)
			}
		}
		if obs.NotReady.IsZero() {
			pctx, cancel := context.WithTimeout(ctx, interval*5)
			err := p.Probe(pctx, readyURL)
			cancel()
			if err != nil && ctx.Err() == nil {
				obs.NotReady = time.Now()
				note("not ready", obs.NotReady)
			}
		}
		if !obs.NotReady.IsZero() && !obs.ListenerClosed.IsZero() {
			return obs
		}
		select {
		case <-ctx.Done():
			return obs
		case <-tick.C:
		}
	}
}

// refused reports whether a TCP connect to hostport is refused (the listener is closed).
func refused(hostport string) bool {
	c, err := net.DialTimeout("tcp", hostport, 200*time.Millisecond)
	if err != nil {
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	_ = c.Close()
	return false
}
