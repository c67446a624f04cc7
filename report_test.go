package grace_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
)

// A report written as JSON reads back whole, errors as text.
func TestReportReadsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &counted{}
		w.OnStop = func(ctx context.Context) error { w.lost.Store(2); return errors.New("flush failed") }
		app := newApp(grace.WithDrainDelay(time.Second))
		app.Add("writer", w, grace.StopTimeout(500*time.Millisecond))
		done := runUntilReady(t, app)
		app.Stop("deploy")
		rep := <-done
		js, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		back, err := grace.ReadReport(js)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(js) {
			t.Errorf("read back and written again:\n%s\nwant:\n%s", again, js)
		}
		if back.ExitCode != grace.ExitLost || back.Lost != 2 || back.Component("writer").Unit != "jobs" || back.Phases[2].Phase != grace.PhaseDraining {
			t.Errorf("read back: %+v", back)
		}
		if _, err := grace.ReadReport([]byte(`{"phases":[{"phase":"nonsense"}]}`)); err == nil {
			t.Error("a report with an unknown phase read without error")
		}
	})
}

// Reading back a report a service wrote with encoding/json.
func ExampleReadReport() {
	line := []byte(`{"trigger":{"kind":"signal","signal":"terminated","at":"2026-12-01T10:00:00Z"},` +
		`"exit_code":6,"lost":3,"handed_back":0,"stop_ns":1200000000,` +
		`"components":[{"name":"writer","state":"stopped","unit":"jobs","lost":3,"error":"stop writer: lost 3 jobs of accepted work"}]}`)
	rep, err := grace.ReadReport(line)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Trigger, grace.ExitCodeName(rep.ExitCode), rep.StopDuration)
	for _, c := range rep.Components {
		fmt.Printf("%s: %s, %s\n", c.Name, c.State, c.Account)
	}
	// Output:
	// signal terminated lost work 1.2s
	// writer: stopped, 3 jobs lost
}

func TestReportRendersAsTextAndJSON(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hung := gracetest.Hang("stop")
		app := newApp(grace.WithDrainDelay(time.Second))
		app.Add("db", grace.Hook{})
		app.Add("exporter", hung, grace.StopTimeout(time.Second))
		done := runUntilReady(t, app)
		app.Stop("deploy")
		rep := <-done
		hung.Release()
		text := rep.String()
		for _, want := range []string{"stopped by stop (deploy)", "exit 1 (stop failed)", "exporter", "abandoned (timed out)", "drain delay 1s, ended by elapsed"} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q:\n%s", want, text)
			}
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var back struct {
			ExitCode   int    `json:"exit_code"`
			Delay      string `json:"delay_ended_by"`
			Trigger    struct{ Kind, Reason string }
			Phases     []struct{ Phase string }
			Components []struct {
				Name     string
				State    string
				TimedOut bool `json:"timed_out"`
			}
		}
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.ExitCode != 1 || back.Delay != "elapsed" || back.Trigger.Kind != "stop" || len(back.Components) != 2 ||
			!back.Components[1].TimedOut || back.Phases[len(back.Phases)-1].Phase != "stopped" {
			t.Errorf("json: %s", b)
		}
	})
}

func TestAbandonedComponentsStacksAreLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs strings.Builder
		hung := gracetest.Hang("stop")
		defer hung.Release()
		app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		app.Add("exporter", hung, grace.StopTimeout(time.Second))
		stopReady(t, app)
		hung.Release()
		if !strings.Contains(logs.String(), `msg="grace: where the abandoned component hangs" component=exporter`) ||
			!strings.Contains(logs.String(), "gracetest.(*Hung).block") {
			t.Errorf("log lacks the hung component's stacks:\n%s", logs.String())
		}
	})
}
