package main

import (
	"fmt"
	"math"
	"time"

	"github.com/gracekit/grace"
)

// settings are what the service is configured with, and the assumptions about the cluster.
type settings struct {
	Plan        grace.Plan    // budget, drain delay, worst stop chain
	Propagation time.Duration // how long endpoint removal takes to reach every load balancer
	Margin      time.Duration // time wanted after the budget to flush and exit
	ReadyPath   string
	LivePath    string
}

// check returns the warnings for one container of a workload; none means its stop fits.
func check(w workload, c container, s settings) []string {
	var warn []string
	add := func(format string, a ...any) { warn = append(warn, fmt.Sprintf(format, a...)) }
	T, P := w.GracePeriod, c.PreStop.Duration
	B, D := s.Plan.Budget, s.Plan.DrainDelay

	if !c.PreStop.Known {
		add("%s: it counts against the grace period too, but graceplan cannot tell how long it takes; it is counted as 0 s", c.PreStop)
	}
	if P >= T {
		add("%s takes the whole terminationGracePeriodSeconds %v: SIGTERM comes when the grace period is over and SIGKILL 2 s later",
			c.PreStop, T)
	}
	avail := max(T-P, 0)
	switch spare := avail - B; {
	case spare < 0:
		add("%s + budget %v = %v exceeds terminationGracePeriodSeconds %v: the kubelet SIGKILLs the process mid-stop; "+
			"raise terminationGracePeriodSeconds to %d or lower the budget to %v",
			c.PreStop, B, P+B, T, seconds(P+B+s.Margin), max(avail-s.Margin, 0))
	case spare < s.Margin:
		add("only %v is left after the budget %v to flush and exit (want at least %v, --margin): raise terminationGracePeriodSeconds to %d",
			spare, B, s.Margin, seconds(P+B+s.Margin))
	}
	// The plan's own check, with no grace period to fit: drain delay + stop chain vs budget.
	for _, m := range s.Plan.Check(math.MaxInt64) {
		add("%s", m)
	}
	if cover := P + D; c.PreStop.Known && cover < s.Propagation {
		add("%s + drain delay %v = %v, less than the time endpoint removal takes to reach load balancers (%v, --propagation): "+
			"requests still routed here after the listeners close are refused; add a preStop sleep or raise the drain delay",
			c.PreStop, D, cover, s.Propagation)
	}
	if c.PreStop.Known && P >= s.Propagation && D > 0 {
		add("%s already covers endpoint propagation (%v, --propagation), so the drain delay %v only makes every stop longer "+
			"(readiness only flips at SIGTERM, after the preStop): set it to 0, unless a load balancer that follows /readyz rather than endpoints needs it",
			c.PreStop, s.Propagation, D)
	}
	switch {
	case c.Readiness == "":
		add("no readinessProbe: without one the pod counts as ready as soon as it runs, before its components have started; probe %s", s.ReadyPath)
	case c.Readiness == s.LivePath:
		add("readinessProbe on %s, the liveness path: it stays healthy while draining, so load balancers that probe keep sending traffic; probe %s", c.Readiness, s.ReadyPath)
	}
	if c.Liveness == s.ReadyPath {
		add("livenessProbe on %s, the readiness path: it fails from the first signal on, so a draining pod is restarted mid-drain; probe %s", c.Liveness, s.LivePath)
	}
	return warn
}

func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// timeline describes the stop of one container in words, from the pod's deletion.
func timeline(w workload, c container, s settings) string {
	T, P := w.GracePeriod, c.PreStop.Duration
	B, D := s.Plan.Budget, s.Plan.DrainDelay
	grace := fmt.Sprintf("terminationGracePeriodSeconds %v", T)
	if !w.GraceSet {
		grace += " (Kubernetes' default)"
	}
	return fmt.Sprintf("%s; %s; SIGTERM at %v; drain delay until %v; budget ends by %v; SIGKILL at %v",
		grace, c.PreStop, P, P+D, P+B, T)
}
