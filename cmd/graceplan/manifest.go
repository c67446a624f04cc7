package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// defaultGracePeriod is Kubernetes' terminationGracePeriodSeconds when a pod spec leaves it out.
const defaultGracePeriod = 30 * time.Second

// workload is one pod template found in a manifest.
type workload struct {
	Doc         int // 1-based document index in its file
	Line        int
	Kind, Name  string
	GracePeriod time.Duration
	GraceSet    bool // false: Kubernetes' default applies
	Containers  []container
}

// container is what graceplan needs of one container.
type container struct {
	Name    string
	PreStop preStop
	// Readiness and Liveness are the probes' httpGet paths; "" without a probe, "(exec)",
	// "(tcpSocket)" or "(grpc)" for other kinds.
	Readiness, Liveness string
}

// preStop is a container's preStop hook as far as its duration goes.
type preStop struct {
	Kind     string        // "none", "sleep", "exec sleep", "exec", "httpGet", "tcpSocket"
	Duration time.Duration // known for "none", "sleep" and "exec sleep"
	Known    bool
	Detail   string // the command or path, for messages
}

func (p preStop) String() string {
	switch {
	case p.Kind == "none":
		return "no preStop"
	case p.Known:
		return fmt.Sprintf("preStop %s %v", p.Kind, p.Duration)
	}
	return fmt.Sprintf("preStop %s %s (duration unknown)", p.Kind, p.Detail)
}

// The Kubernetes objects, as far as graceplan reads them. Unknown fields are ignored.
type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec  yaml.Node   `yaml:"spec"`
	Items []yaml.Node `yaml:"items"` // kind: List
}

type podSpec struct {
	TerminationGracePeriodSeconds *int64          `yaml:"terminationGracePeriodSeconds"`
	Containers                    []containerSpec `yaml:"containers"`
}

type podTemplate struct {
	Template struct {
		Spec podSpec `yaml:"spec"`
	} `yaml:"template"`
}

type cronJobSpec struct {
	JobTemplate struct {
		Spec podTemplate `yaml:"spec"`
	} `yaml:"jobTemplate"`
}

type containerSpec struct {
	Name      string `yaml:"name"`
	Lifecycle struct {
		PreStop *handler `yaml:"preStop"`
	} `yaml:"lifecycle"`
	ReadinessProbe *handler `yaml:"readinessProbe"`
	LivenessProbe  *handler `yaml:"livenessProbe"`
}

type handler struct {
	Exec *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
	HTTPGet *struct {
		Path string `yaml:"path"`
	} `yaml:"httpGet"`
	TCPSocket *yaml.Node `yaml:"tcpSocket"`
	GRPC      *yaml.Node `yaml:"grpc"`
	Sleep     *struct {
		Seconds *int64 `yaml:"seconds"`
	} `yaml:"sleep"`
}

// templated kinds carry a pod template at spec.template.
var templated = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "Job": true}

// parseManifest reads every document of a (multi-document) YAML manifest and returns its pod
// templates: Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods, also
// inside a List. Other kinds are skipped. Errors name the document and, where YAML knows it,
// the line.
func parseManifest(r io.Reader) (ws []workload, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	// The YAML decoder is third-party code fed untrusted input: a panic in it becomes an error.
	defer func() {
		if p := recover(); p != nil {
			ws, err = nil, fmt.Errorf("YAML parser failed: %v", p)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return ws, nil
			}
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if n.Kind == 0 || (n.Kind == yaml.DocumentNode && len(n.Content) == 0) {
			continue // an empty document, as between two "---"
		}
		found, err := decodeObject(&n, doc, 0)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		ws = append(ws, found...)
	}
}

func decodeObject(n *yaml.Node, doc, depth int) ([]workload, error) {
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: not a Kubernetes object (a mapping with apiVersion and kind)", n.Line)
	}
	var o object
	if err := n.Decode(&o); err != nil {
		return nil, err
	}
	w := workload{Doc: doc, Line: n.Line, Kind: o.Kind, Name: o.Metadata.Name}
	var spec podSpec
	switch {
	case o.Kind == "List":
		if depth > 0 {
			return nil, fmt.Errorf("line %d: a List inside a List", n.Line)
		}
		var ws []workload
		for i := range o.Items {
			found, err := decodeObject(&o.Items[i], doc, depth+1)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i+1, err)
			}
			ws = append(ws, found...)
		}
		return ws, nil
	case o.Kind == "Pod":
		if err := o.Spec.Decode(&spec); err != nil && o.Spec.Kind != 0 {
			return nil, fmt.Errorf("%s %q: %w", o.Kind, o.Metadata.Name, err)
		}
	case templated[o.Kind]:
		var t podTemplate
		if err := o.Spec.Decode(&t); err != nil && o.Spec.Kind != 0 {
			return nil, fmt.Errorf("%s %q: %w", o.Kind, o.Metadata.Name, err)
		}
		spec = t.Template.Spec
	case o.Kind == "CronJob":
		var t cronJobSpec
		if err := o.Spec.Decode(&t); err != nil && o.Spec.Kind != 0 {
			return nil, fmt.Errorf("%s %q: %w", o.Kind, o.Metadata.Name, err)
		}
		spec = t.JobTemplate.Spec.Template.Spec
	case o.Kind == "":
		return nil, fmt.Errorf("line %d: object without a kind", n.Line)
	default:
		return nil, nil // a Service, a ConfigMap…: nothing to check
	}
	if err := w.fill(spec); err != nil {
		return nil, fmt.Errorf("%s %q: %w", o.Kind, o.Metadata.Name, err)
	}
	return []workload{w}, nil
}

func (w *workload) fill(spec podSpec) error {
	w.GracePeriod = defaultGracePeriod
	if s := spec.TerminationGracePeriodSeconds; s != nil {
		if *s < 0 || *s > 1<<31 {
			return fmt.Errorf("terminationGracePeriodSeconds %d is out of range", *s)
		}
		w.GracePeriod, w.GraceSet = time.Duration(*s)*time.Second, true
	}
	if len(spec.Containers) == 0 {
		return errors.New("pod spec has no containers")
	}
	for i, cs := range spec.Containers {
		c := container{Name: cs.Name, Readiness: probePath(cs.ReadinessProbe), Liveness: probePath(cs.LivenessProbe)}
		if c.Name == "" {
			c.Name = fmt.Sprintf("#%d", i+1)
		}
		var err error
		if c.PreStop, err = parsePreStop(cs.Lifecycle.PreStop); err != nil {
			return fmt.Errorf("container %s: preStop: %w", c.Name, err)
		}
		w.Containers = append(w.Containers, c)
	}
	return nil
}

func probePath(h *handler) string {
	switch {
	case h == nil:
		return ""
	case h.HTTPGet != nil:
		if h.HTTPGet.Path == "" {
			return "/"
		}
		return h.HTTPGet.Path
	case h.Exec != nil:
		return "(exec)"
	case h.TCPSocket != nil:
		return "(tcpSocket)"
	case h.GRPC != nil:
		return "(grpc)"
	}
	return "(unknown)"
}

func parsePreStop(h *handler) (preStop, error) {
	switch {
	case h == nil:
		return preStop{Kind: "none", Known: true}, nil
	case h.Sleep != nil:
		if h.Sleep.Seconds == nil {
			return preStop{}, errors.New("sleep without seconds")
		}
		s := *h.Sleep.Seconds
		if s < 0 || s > 1<<31 {
			return preStop{}, fmt.Errorf("sleep seconds %d is out of range", s)
		}
		return preStop{Kind: "sleep", Duration: time.Duration(s) * time.Second, Known: true}, nil
	case h.Exec != nil:
		p := preStop{Kind: "exec", Detail: fmt.Sprintf("%q", h.Exec.Command)}
		if d, ok, err := execSleep(h.Exec.Command); err != nil {
			return preStop{}, fmt.Errorf("exec %s: %w", p.Detail, err)
		} else if ok {
			p.Kind, p.Duration, p.Known = "exec sleep", d, true
		}
		return p, nil
	case h.HTTPGet != nil:
		return preStop{Kind: "httpGet", Detail: h.HTTPGet.Path}, nil
	case h.TCPSocket != nil:
		return preStop{Kind: "tcpSocket"}, nil
	}
	return preStop{}, errors.New("no handler (want sleep, exec, httpGet or tcpSocket)")
}

// shellSleep matches a shell script that begins with a sleep: "sleep 5", "exec sleep 5 && …".
var shellSleep = regexp.MustCompile(`^\s*(?:exec\s+)?(?:/[\w/]*/)?sleep\s+([^\s;&|]+)`)

// execSleep recognises the sleeps people put in preStop: ["sleep", "5"], ["/bin/sleep", "5s"],
// ["sh", "-c", "sleep 5"]. ok is false for any other command.
func execSleep(cmd []string) (d time.Duration, ok bool, err error) {
	if len(cmd) == 0 {
		return 0, false, errors.New("empty command")
	}
	switch path.Base(cmd[0]) {
	case "sleep":
		if len(cmd) < 2 {
			return 0, false, errors.New("sleep without a duration")
		}
		d, err := sleepDuration(cmd[1])
		return d, err == nil, err
	case "sh", "bash", "ash", "dash", "busybox":
		for i := 1; i+1 < len(cmd); i++ {
			if strings.HasPrefix(cmd[i], "-") && strings.Contains(cmd[i], "c") {
				if m := shellSleep.FindStringSubmatch(cmd[i+1]); m != nil {
					d, err := sleepDuration(m[1])
					return d, err == nil, err
				}
				return 0, false, nil
			}
		}
	}
	return 0, false, nil
}

// sleepDuration parses sleep(1)'s argument: a number, maybe fractional, with an optional
// suffix s, m, h or d.
func sleepDuration(arg string) (time.Duration, error) {
	unit := time.Second
	num := arg
	if n := len(arg); n > 0 {
		switch arg[n-1] {
		case 's':
			num = arg[:n-1]
		case 'm':
			unit, num = time.Minute, arg[:n-1]
		case 'h':
			unit, num = time.Hour, arg[:n-1]
		case 'd':
			unit, num = 24*time.Hour, arg[:n-1]
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || strings.ContainsAny(num, "xXpPeEnNiI_+-") {
		return 0, fmt.Errorf("sleep duration %q: want a number of seconds like 5 or 5s", arg)
	}
	if total := f * float64(unit); total > float64(1<<31)*float64(time.Second) {
		return 0, fmt.Errorf("sleep duration %q is out of range", arg)
	}
	return time.Duration(f * float64(unit)), nil
}
