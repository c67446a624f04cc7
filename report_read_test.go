package grace_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
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
