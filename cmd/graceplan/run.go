package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gracekit/grace"
)

// Defaults of the flags that describe the cluster.
const (
	DefaultPropagation = 5 * time.Second
	DefaultMargin      = 2 * time.Second
)

// Exit codes.
const (
	exitFits     = 0
	exitWarnings = 1
	exitUsage    = 2
)

// run is the command, with its environment passed in; it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("graceplan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s settings
	s.Plan = grace.Plan{Budget: grace.DefaultBudget, DrainDelay: grace.DefaultDrainDelay}
	var planFile, containerName string
	durFlag := func(p *time.Duration, name string, def time.Duration, positive bool, usage string) {
		*p = def
		fs.Func(name, fmt.Sprintf("%s (default %v)", usage, def), func(v string) error {
			d, err := time.ParseDuration(v)
			switch {
			case err != nil:
				return fmt.Errorf("not a duration (like 25s or 1m30s): %q", v)
			case d < 0 || (positive && d == 0):
				return fmt.Errorf("must be %s, got %v", map[bool]string{true: "positive", false: "zero or more"}[positive], d)
			}
			*p = d
			return nil
		})
	}
	durFlag(&s.Plan.Budget, "budget", grace.DefaultBudget, true, "the service's grace budget (grace.WithBudget)")
	durFlag(&s.Plan.DrainDelay, "drain-delay", grace.DefaultDrainDelay, false, "the service's drain delay (grace.WithDrainDelay)")
	durFlag(&s.Propagation, "propagation", DefaultPropagation, false, "how long endpoint removal takes to reach every load balancer")
	durFlag(&s.Margin, "margin", DefaultMargin, false, "time wanted between the end of the budget and SIGKILL, to flush and exit")
	fs.StringVar(&planFile, "plan", "", "`file` with the service's plan as JSON (json.Marshal of grace.App.Plan()); replaces --budget and --drain-delay")
	fs.StringVar(&containerName, "container", "", "check only the container of this `name` (default: every container)")
	fs.StringVar(&s.ReadyPath, "ready-path", "/readyz", "the service's readiness path")
	fs.StringVar(&s.LivePath, "live-path", "/livez", "the service's liveness path")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: graceplan [flags] manifest.yaml... (- for standard input)")
		fmt.Fprintln(stderr, "Checks that the service's grace budget and drain delay fit the manifest's terminationGracePeriodSeconds and preStop hooks.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitFits
		}
		return exitUsage // flag has printed the problem and the usage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "graceplan: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() == 0 {
		return usage("no manifest given (usage: graceplan [flags] manifest.yaml...)")
	}
	if planFile != "" {
		var set []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "budget" || f.Name == "drain-delay" {
				set = append(set, "--"+f.Name)
			}
		})
		if len(set) > 0 {
			return usage("--plan gives the budget and drain delay; drop %s", strings.Join(set, " and "))
		}
		p, err := readPlan(planFile)
		if err != nil {
			return usage("%v", err)
		}
		s.Plan = *p
	}

	warnings, checked := 0, 0
	for _, name := range fs.Args() {
		ws, err := readManifest(name, stdin)
		if err != nil {
			return usage("%s: %v", name, err)
		}
		for _, w := range ws {
			for _, c := range w.Containers {
				if containerName != "" && c.Name != containerName {
					continue
				}
				checked++
				fmt.Fprintf(stdout, "%s: %s %s, container %s (document %d, line %d)\n", name, w.Kind, w.Name, c.Name, w.Doc, w.Line)
				fmt.Fprintf(stdout, "  %s\n", timeline(w, c, s))
				warns := check(w, c, s)
				for _, m := range warns {
					fmt.Fprintf(stdout, "  warning: %s\n", m)
				}
				if len(warns) == 0 {
					fmt.Fprintf(stdout, "  ok: %v to spare after the budget\n", w.GracePeriod-c.PreStop.Duration-s.Plan.Budget)
				}
				warnings += len(warns)
			}
		}
	}
	switch {
	case checked == 0 && containerName != "":
		return usage("no container named %q in a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod", containerName)
	case checked == 0:
		return usage("no Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod found")
	case warnings > 0:
		fmt.Fprintf(stdout, "%d warning(s): the stop does not fit\n", warnings)
		return exitWarnings
	}
	fmt.Fprintln(stdout, "the stop fits")
	return exitFits
}

func readManifest(name string, stdin io.Reader) ([]workload, error) {
	if name == "-" {
		return parseManifest(stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseManifest(f)
}

// readPlan reads a grace.Plan written as JSON by the service.
func readPlan(name string) (*grace.Plan, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p grace.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("plan %s: not a grace plan in JSON: %w", name, err)
	}
	switch {
	case p.Budget <= 0:
		return nil, fmt.Errorf("plan %s: budget_ns is missing or not positive (is this the JSON of grace.App.Plan()?)", name)
	case p.DrainDelay < 0:
		return nil, fmt.Errorf("plan %s: drain_delay_ns is negative", name)
	case p.WorstStop < 0:
		return nil, fmt.Errorf("plan %s: worst_stop_ns is negative", name)
	}
	return &p, nil
}
