package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
)

const example = "../../deploy/kubernetes/deployment.yaml"

// graceplan runs the command in-process and returns its exit code and output.
func graceplan(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustContain(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// TestExampleManifestFits: the example Deployment fits the budget its comments describe, and
// stops fitting when the service is configured otherwise.
func TestExampleManifestFits(t *testing.T) {
	code, out, errOut := graceplan(t, "", "--budget", "25s", "--drain-delay", "0s", example)
	if code != exitFits {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFits, out, errOut)
	}
	mustContain(t, "output", out,
		"Deployment orders, container orders (document 1, line 20)",
		"terminationGracePeriodSeconds 35s; preStop sleep 5s; SIGTERM at 5s; drain delay until 5s; budget ends by 30s; SIGKILL at 35s",
		"ok: 5s to spare after the budget", "the stop fits")
}

func TestExampleManifestMisfits(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"budget too long", []string{"--budget", "31s"}, []string{
			"preStop sleep 5s + budget 31s = 36s exceeds terminationGracePeriodSeconds 35s",
			"raise terminationGracePeriodSeconds to 38 or lower the budget to 28s"}},
		{"no margin", []string{"--budget", "29s"}, []string{
			"only 1s is left after the budget 29s to flush and exit (want at least 2s, --margin)"}},
		{"drain delay wasted", []string{"--drain-delay", "5s"}, []string{
			"preStop sleep 5s already covers endpoint propagation (5s, --propagation), so the drain delay 5s only makes every stop longer"}},
		{"slow propagation", []string{"--propagation", "8s"}, []string{
			"preStop sleep 5s + drain delay 0s = 5s, less than the time endpoint removal takes to reach load balancers (8s, --propagation)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := graceplan(t, "", append(c.args, example)...)
			if code != exitWarnings {
				t.Fatalf("exit %d, want %d\n%s%s", code, exitWarnings, out, errOut)
			}
			mustContain(t, "output", out, c.want...)
			if n := strings.Count(out, "warning: "); n != 1 {
				t.Errorf("%d warnings, want 1:\n%s", n, out)
			}
		})
	}
}

// TestPlanFile: the plan comes from a real grace.App, as JSON — the way a service writes it.
// Its drain delay plus the longest chain of stop limits does not fit its budget.
func TestPlanFile(t *testing.T) {
	app := grace.New(grace.WithBudget(20*time.Second), grace.WithDrainDelay(5*time.Second))
	stop := grace.StopFunc(func(context.Context) error { return nil })
	app.Add("db", stop, grace.StopTimeout(8*time.Second))
	app.Add("http", stop, grace.StopTimeout(10*time.Second))
	plan, err := app.Plan()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := graceplan(t, "", "--plan", file, example)
	if code != exitWarnings {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitWarnings, out, errOut)
	}
	mustContain(t, "output", out,
		"budget ends by 25s", "drain delay until 10s",
		"drain delay 5s + longest chain of stop limits 18s = 23s exceeds the budget 20s",
		"the drain delay 5s only makes every stop longer")

	code, _, errOut = graceplan(t, "", "--plan", file, "--budget", "5s", example)
	if code != exitUsage {
		t.Fatalf("--plan with --budget: exit %d, want %d", code, exitUsage)
	}
	mustContain(t, "error", errOut, "--plan gives the budget and drain delay; drop --budget")
}

// TestManifests: the manifests in testdata, each with what graceplan must say about them.
func TestManifests(t *testing.T) {
	cases := []struct {
		file string
		args []string
		code int
		want []string
	}{
		{"no-prestop.yaml", nil, exitWarnings, []string{
			"terminationGracePeriodSeconds 30s (Kubernetes' default); no preStop",
			"no preStop + drain delay 0s = 0s, less than the time endpoint removal takes"}},
		{"no-prestop.yaml", []string{"--drain-delay", "5s"}, exitFits, []string{"ok: 5s to spare after the budget"}},
		{"statefulset-exec.yaml", []string{"--container", "queue"}, exitFits, []string{
			"StatefulSet queue, container queue (document 2, line 9)", "preStop exec sleep 10s", "ok: 25s to spare"}},
		{"statefulset-exec.yaml", nil, exitWarnings, []string{
			"container proxy", `preStop httpGet /drain (duration unknown): it counts against the grace period too`}},
		{"list.yaml", nil, exitWarnings, []string{
			"CronJob nightly, container job (document 1, line 4)",
			"preStop exec sleep 2.5s + budget 25s = 27.5s exceeds terminationGracePeriodSeconds 20s",
			"Pod single, container svc (document 1, line 17)",
			"readinessProbe on /livez, the liveness path",
			"livenessProbe on /readyz, the readiness path: it fails from the first signal on"}},
	}
	for _, c := range cases {
		t.Run(c.file+strings.Join(c.args, ""), func(t *testing.T) {
			code, out, errOut := graceplan(t, "", append(c.args, filepath.Join("testdata", c.file))...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			mustContain(t, "output", out, c.want...)
		})
	}
}

// TestBadInput: every bad flag, file or manifest gets exit 2 and a message naming the problem.
func TestBadInput(t *testing.T) {
	notPlan := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(notPlan, []byte(`{"name": "not a plan"}`), 0o644)
	brokenPlan := filepath.Join(t.TempDir(), "broken.json")
	os.WriteFile(brokenPlan, []byte(`{"budget_ns": `), 0o644)
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no manifest", "", nil, "no manifest given"},
		{"bad duration", "", []string{"--budget", "soon", example}, `invalid value "soon" for flag -budget: not a duration (like 25s or 1m30s)`},
		{"zero budget", "", []string{"--budget", "0s", example}, "-budget: must be positive, got 0s"},
		{"negative delay", "", []string{"--drain-delay", "-1s", example}, "-drain-delay: must be zero or more, got -1s"},
		{"unknown flag", "", []string{"--bugdet", "1s", example}, "flag provided but not defined: -bugdet"},
		{"missing file", "", []string{"testdata/nope.yaml"}, "testdata/nope.yaml: open testdata/nope.yaml: no such file"},
		{"missing plan", "", []string{"--plan", "nope.json", example}, "read plan: open nope.json"},
		{"not a plan", "", []string{"--plan", notPlan, example}, "budget_ns is missing or not positive (is this the JSON of grace.App.Plan()?)"},
		{"broken plan", "", []string{"--plan", brokenPlan, example}, "not a grace plan in JSON"},
		{"bad indent", "", []string{"testdata/bad-indent.yaml"}, "document 1: yaml: line 7: did not find expected key"},
		{"quoted grace period", "", []string{"testdata/bad-grace.yaml"}, "line 8: cannot unmarshal !!str `30` into int64"},
		{"bad sleep", "", []string{"testdata/bad-sleep.yaml"}, `Pod "p": container a: preStop: exec ["sleep" "five"]: sleep duration "five"`},
		{"no kind", "", []string{"testdata/bad-nokind.yaml"}, "document 1: line 1: object without a kind"},
		{"only services", "", []string{"testdata/services-only.yaml"}, "no Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod found"},
		{"no such container", "", []string{"--container", "web", example}, `no container named "web"`},
		{"stdin scalar", "just text\n", []string{"-"}, "-: document 1: line 1: not a Kubernetes object"},
		{"second document broken", "kind: Pod\nspec: {containers: [{name: a}]}\n---\nkind: [\n", []string{"-"}, "-: document 2: yaml:"},
		{"negative grace", "kind: Pod\nspec: {terminationGracePeriodSeconds: -1, containers: [{name: a}]}\n", []string{"-"}, "terminationGracePeriodSeconds -1 is out of range"},
		{"no containers", "kind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {}}}\n", []string{"-"}, `Deployment "d": pod spec has no containers`},
		{"sleep without seconds", "kind: Pod\nspec: {containers: [{name: a, lifecycle: {preStop: {sleep: {}}}}]}\n", []string{"-"}, "preStop: sleep without seconds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := graceplan(t, c.stdin, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s%s", code, exitUsage, out, errOut)
			}
			mustContain(t, "error", errOut, c.want)
		})
	}
}

func TestExecSleep(t *testing.T) {
	cases := []struct {
		cmd  []string
		want time.Duration
		ok   bool
	}{
		{[]string{"sleep", "5"}, 5 * time.Second, true},
		{[]string{"/bin/sleep", "1.5"}, 1500 * time.Millisecond, true},
		{[]string{"sleep", "2m"}, 2 * time.Minute, true},
		{[]string{"sh", "-c", "sleep 7 && kill -TERM 1"}, 7 * time.Second, true},
		{[]string{"/bin/bash", "-ec", "exec /bin/sleep 3s"}, 3 * time.Second, true},
		{[]string{"sh", "-c", "curl -X POST localhost/drain; sleep 5"}, 0, false},
		{[]string{"/app/drain"}, 0, false},
	}
	for _, c := range cases {
		d, ok, err := execSleep(c.cmd)
		if err != nil || d != c.want || ok != c.ok {
			t.Errorf("execSleep(%q) = %v, %v, %v; want %v, %v", c.cmd, d, ok, err, c.want, c.ok)
		}
	}
	for _, bad := range [][]string{{}, {"sleep"}, {"sleep", "-1"}, {"sleep", "infinity"}, {"sleep", "1e9"}, {"sleep", "99999999999d"}} {
		if _, _, err := execSleep(bad); err == nil {
			t.Errorf("execSleep(%q): no error", bad)
		}
	}
}

// TestOperatorGuideExample: the worked example of docs/operator-guide.md, computed by grace
// itself — http (15 s) and consumer (10 s) use db (5 s); the longest chain is 20 s, which with
// no drain delay fits the 25 s budget, and the budget fits the example Deployment.
func TestOperatorGuideExample(t *testing.T) {
	app := grace.New(grace.WithBudget(25 * time.Second))
	stop := grace.StopFunc(func(context.Context) error { return nil })
	app.Add("db", stop, grace.StopTimeout(5*time.Second))
	app.Add("http", stop, grace.DependsOn("db"), grace.StopTimeout(15*time.Second))
	app.Add("consumer", stop, grace.DependsOn("db"), grace.StopTimeout(10*time.Second))
	plan, err := app.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if plan.WorstStop != 20*time.Second || len(plan.Stop) != 2 {
		t.Fatalf("worst stop %v in %d waves, want 20s in 2 (the guide says so)\n%s", plan.WorstStop, len(plan.Stop), plan)
	}
	data, _ := json.Marshal(plan)
	file := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := graceplan(t, "", "--plan", file, example); code != exitFits {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFits, out, errOut)
	}
}
