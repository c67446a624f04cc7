package grace

import "fmt"

// Phase is where an App is in its life. Phases only move forward, in the order below; a phase can
// be skipped (a failed start goes from PhaseStarting straight to PhaseStopping).
//
// The phases mirror kube-apiserver's lifecycle signals:
//
//  1. PhaseIdle: Run has not been called.
//  2. PhaseStarting: components start in dependency order. Not ready.
//  3. PhaseReady: every component started. Readiness is true only in this phase.
//  4. PhaseDraining: a stop was triggered. Readiness is false so load balancers move away, but
//     everything keeps serving. Every [Drainer] runs (deregistration, "Connection: close").
//  5. PhaseDelayOver: the drain delay ended (elapsed, all [Quieter]s quiet, or a second signal).
//  6. PhaseStopping: components stop in reverse dependency order.
//  7. PhaseStopped: Run is returning. Liveness is false.
type Phase int32

// The phases, in order.
const (
	PhaseIdle Phase = iota
	PhaseStarting
	PhaseReady
	PhaseDraining
	PhaseDelayOver
	PhaseStopping
	PhaseStopped
	numPhases
)

var phaseNames = [numPhases]string{"idle", "starting", "ready", "draining", "delay-over", "stopping", "stopped"}

// String returns the phase's lower-case name, such as "draining".
func (p Phase) String() string {
	if p < 0 || p >= numPhases {
		return "unknown"
	}
	return phaseNames[p]
}

// MarshalText encodes the phase as its name, so reports read well in JSON.
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText decodes a phase from its name, so a report written as JSON reads back.
func (p *Phase) UnmarshalText(b []byte) error {
	for i, name := range phaseNames {
		if string(b) == name {
			*p = Phase(i)
			return nil
		}
	}
	return fmt.Errorf("grace: unknown phase %q", b)
}
