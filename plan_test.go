package grace_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
)

func TestPlanWavesAndBudgets(t *testing.T) {
	app := newApp(grace.WithBudget(20*time.Second), grace.WithDrainDelay(5*time.Second))
	app.Add("db", grace.Closer(nil), grace.Independent(), grace.StopTimeout(3*time.Second))
	app.Add("cache", grace.Hook{}, grace.Independent(), grace.StopTimeout(2*time.Second))
	app.Add("http", grace.Hook{}, grace.DependsOn("db", "cache"), grace.StopTimeout(10*time.Second))
	app.Add("worker", grace.RunFunc(nil), grace.DependsOn("db"), grace.StopTimeout(5*time.Second))
	p, err := app.Plan()
	if err != nil {
		t.Fatal(err)
	}
	names := func(w []grace.PlanStep) string {
		var s []string
		for _, st := range w {
			s = append(s, st.Name)
		}
		return strings.Join(s, ",")
	}
	if len(p.Start) != 2 || names(p.Start[0]) != "db,cache" || names(p.Start[1]) != "http,worker" {
		t.Errorf("start waves %v", p.Start)
	}
	if len(p.Stop) != 2 || names(p.Stop[0]) != "http,worker" || names(p.Stop[1]) != "db,cache" {
		t.Errorf("stop waves %v", p.Stop)
	}
	if p.WorstStop != 13*time.Second {
		t.Errorf("worst stop %v, want http 10s + db 3s", p.WorstStop)
	}
	if w := p.Check(30 * time.Second); len(w) != 0 {
		t.Errorf("warnings for a plan that fits: %v", w)
	}
	w := p.Check(15 * time.Second)
	if len(w) < 1 || !strings.Contains(w[0], "budget 20s exceeds the grace period 15s") {
		t.Errorf("warnings %v", w)
	}
	if !strings.Contains(p.String(), "wave 2  http") {
		t.Errorf("text:\n%s", p)
	}
	if _, err := json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	if app.Phase() != grace.PhaseIdle {
		t.Error("Plan changed the phase")
	}
}

func TestPlanWarnsWhenDelayAndLimitsExceedBudget(t *testing.T) {
	app := newApp(grace.WithBudget(10*time.Second), grace.WithDrainDelay(5*time.Second))
	app.Add("db", grace.Hook{}, grace.StopTimeout(4*time.Second))
	app.Add("http", grace.Hook{}, grace.StopTimeout(4*time.Second))
	p, err := app.Plan()
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(p.Check(time.Minute), "\n")
	if !strings.Contains(w, "drain delay 5s + longest chain of stop limits 8s = 13s exceeds the budget 10s") {
		t.Errorf("warnings: %s", w)
	}
}
