package grace

import (
	"bytes"
	"context"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
)

// Goroutine labels. Every goroutine the engine starts for a component carries the component's
// name under labelComponent (and the operation under labelOp). Labels are inherited, so
// goroutines that the component — or an SDK it calls — starts carry them too. That is what lets
// the report show the stacks of a hung component, and the goroutines left behind by a Close that
// did not wait.
const (
	labelApp       = "grace_app"
	labelComponent = "grace_component"
	labelOp        = "grace_op"
)

// labels returns a context carrying the goroutine labels for one operation of one component,
// made once per run and applied with pprof.SetGoroutineLabels by each goroutine the engine
// starts (cheaper than pprof.Do per call, which matters with thousands of components).
func (r *run) labels(n *node, op string) context.Context {
	i := slices.Index(ops[:], op)
	if c := n.labelCtx[i].Load(); c != nil {
		return *c
	}
	c := pprof.WithLabels(context.Background(), pprof.Labels(labelApp, r.id, labelComponent, n.name, labelOp, op))
	n.labelCtx[i].Store(&c) // a race computes it twice, harmlessly
	return c
}

var ops = [4]string{"start", "run", "drain", "stop"}

// goroutinesCreated reads the runtime's count of goroutines created since the program started;
// ok is false if the runtime does not offer it.
func goroutinesCreated() (n uint64, ok bool) {
	s := [1]metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s[:])
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	return s[0].Value.Uint64(), true
}

// counts is how many goroutines are alive and how many were ever created: equal counts at two
// moments mean no goroutine ended or began in between.
type counts struct {
	live    int
	created uint64
	ok      bool
}

func goroutineCounts() counts {
	created, ok := goroutinesCreated()
	return counts{runtime.NumGoroutine(), created, ok}
}

// othersStarted reports whether any goroutine other than the engine's own may have been started
// since the run's first start. If none was, the profile has nothing to find: the goroutines it
// looks for carry the run's labels, and only goroutines started after that point — by the
// engine's goroutines, which a component's calls run on, or by their descendants — carry them.
// Goroutines started that the engine did not count (a timer's or a context's AfterFunc, another
// app, anything else in the process) only make it answer true: a profile taken for nothing,
// never a goroutine missed.
func (r *run) othersStarted() bool {
	now, ok := goroutinesCreated()
	return !r.counted || !ok || now-r.created0 > uint64(r.spawned.Load())
}

// goroutineGroup is one entry of the goroutine profile (debug=1): identical stacks with identical
// labels, counted.
type goroutineGroup struct {
	count     int
	app       string
	component string
	op        string
	text      string
}

// labelledGoroutines takes one goroutine profile and returns the groups that carry a component
// label. The profile is taken at debug level 1, the one that prints labels.
func labelledGoroutines(app string) []goroutineGroup {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return nil
	}
	var mine []goroutineGroup
	for _, g := range parseGoroutineProfile(buf.String()) {
		if g.app == app {
			mine = append(mine, g)
		}
	}
	return mine
}

// parseGoroutineProfile parses pprof's debug=1 goroutine text: blocks separated by blank lines,
// each "N @ addrs", an optional "# labels: {...}" line, then "#\taddr\tfunc\tfile:line" frames.
func parseGoroutineProfile(s string) []goroutineGroup {
	var out []goroutineGroup
	for _, block := range strings.Split(s, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) < 2 {
			continue
		}
		var g goroutineGroup
		head := strings.Fields(lines[0])
		if len(head) == 0 {
			continue
		}
		if n, err := strconv.Atoi(head[0]); err != nil || n <= 0 {
			continue
		} else {
			g.count = n
		}
		var frames []string
		for _, l := range lines[1:] {
			if rest, ok := strings.CutPrefix(l, "# labels: "); ok {
				g.app = labelValue(rest, labelApp)
				g.component = labelValue(rest, labelComponent)
				g.op = labelValue(rest, labelOp)
				continue
			}
			if f, ok := strings.CutPrefix(l, "#\t"); ok {
				// "0x4a1b2c\tpkg.Func+0x2f\t/path/file.go:12" -> "pkg.Func /path/file.go:12"
				var parts []string
				for _, p := range strings.Split(f, "\t") {
					if p != "" {
						parts = append(parts, p)
					}
				}
				if len(parts) < 3 {
					continue
				}
				fn := parts[1]
				if i := strings.LastIndex(fn, "+0x"); i > 0 {
					fn = fn[:i]
				}
				if engineFrame(fn) {
					continue
				}
				frames = append(frames, "\t"+fn+"\n\t\t"+strings.TrimSpace(parts[2]))
			}
		}
		if g.component == "" {
			continue
		}
		g.text = strings.Join(frames, "\n")
		out = append(out, g)
	}
	return out
}

// labelValue extracts key's value from a label set printed as {"k":"v", "k2":"v2"}.
func labelValue(set, key string) string {
	i := strings.Index(set, "\""+key+"\":\"")
	if i < 0 {
		return ""
	}
	rest := set[i+len(key)+4:]
	j := strings.Index(rest, "\"")
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// renderGroups formats groups for a report, skipping the engine's own frames' noise: each group
// as "N goroutine(s) [op]:" followed by its frames.
func renderGroups(gs []goroutineGroup) string {
	var b strings.Builder
	for _, g := range gs {
		if g.count == 1 {
			b.WriteString("1 goroutine")
		} else {
			b.WriteString(strconv.Itoa(g.count) + " goroutines")
		}
		if g.op != "" {
			b.WriteString(" (" + g.component + ", " + g.op + ")")
		}
		b.WriteString(":\n" + g.text + "\n")
	}
	return b.String()
}

// engineFrame reports whether a frame is the engine's own plumbing, left out of reports so the
// stacks show the component's code.
func engineFrame(fn string) bool {
	switch fn {
	case "github.com/gracekit/grace.safely",
		"github.com/gracekit/grace.(*run).invoke.func1", "github.com/gracekit/grace.(*run).launchRun.func1",
		"github.com/gracekit/grace.(*run).supervise":
		return true
	}
	return false
}
