package lb

import (
	"context"
	"time"
)

// FirstProbe returns when a health checker probing every interval should probe first so that a
// probe happens just before signalAt (5 ms, or a tenth of the interval if less): the worst
// phase for the service, which then stays in the load balancer a whole interval after the signal.
// A real load balancer's phase is arbitrary; the drill picks the worst one so a pass is not luck.
func FirstProbe(signalAt, interval time.Duration) time.Duration {
	lead := min(5*time.Millisecond, interval/10)
	first := (signalAt - lead) % interval
	if first <= 0 {
		first += interval
	}
	return first
}

// Poll probes url every interval, the first time after first, like a load balancer's health
// check, and calls notReady once, with the time it saw it, at the first probe that does not
// answer 200. It returns after that call, or when ctx is done.
func (p *Prober) Poll(ctx context.Context, url string, first, interval time.Duration, notReady func(at time.Time, why error)) {
	wait := time.NewTimer(first)
	defer wait.Stop()
	select {
	case <-ctx.Done():
		return
	case <-wait.C:
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := p.Probe(ctx, url); err != nil {
			if ctx.Err() != nil {
				return
			}
			notReady(time.Now(), err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
