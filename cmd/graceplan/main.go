// Command graceplan checks that a service's stop fits the Kubernetes manifest that runs it.
//
// It reads the manifest's pod templates (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
// CronJob, Pod; multi-document YAML; - for standard input), takes each container's
// terminationGracePeriodSeconds and preStop hook (a sleep action, or exec sleep N), and the
// service's grace budget and drain delay — from flags, or from the JSON of the service's
// grace.Plan (--plan) — and warns when they do not fit:
//
//   - preStop + budget exceeds the grace period (the kubelet SIGKILLs mid-stop), or leaves less
//     than --margin to exit;
//   - drain delay + the longest chain of component stop limits exceeds the budget;
//   - preStop + drain delay is shorter than endpoint propagation (--propagation): requests
//     arriving after the listeners closed are refused;
//   - a preStop that already covers propagation makes the drain delay a waste;
//   - probes on the wrong grace endpoint (liveness on /readyz restarts draining pods).
//
// Usage:
//
//	graceplan [flags] manifest.yaml...
//
// Exit status: 0 when everything fits, 1 when there are warnings, 2 for bad flags or input.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
