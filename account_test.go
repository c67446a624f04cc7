package grace_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
)

// counted is a component that keeps an account, as an adapter would: its stop decides what was
// lost and handed back.
type counted struct {
	grace.Hook
	lost, back atomic.Int64
}

func (c *counted) Account() grace.Account {
	return grace.Account{Unit: "jobs", Lost: c.lost.Load(), HandedBack: c.back.Load()}
}

func TestLostWorkIsCountedAndChangesTheExitCode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen atomic.Int64
		w := &counted{}
		w.OnStop = func(ctx context.Context) error { w.lost.Store(3); w.back.Store(2); return nil }
		app := newApp(grace.WithObserver(func(e grace.Event) {
			if e.Kind == grace.EventStopped && e.Component == "writer" {
				seen.Store(e.Account.Lost)
			}
		}))
		app.Add("writer", w)
		app.Add("clean", &counted{})
		rep := stopReady(t, app)

		if rep.ExitCode != grace.ExitLost {
			t.Errorf("exit code %d (%s), want %d: a stop that lost work is never clean", rep.ExitCode, grace.ExitCodeName(rep.ExitCode), grace.ExitLost)
		}
		if !errors.Is(rep.Err, grace.ErrLost) {
			t.Errorf("report error %v does not match ErrLost", rep.Err)
		}
		var le *grace.LossError
		if !errors.As(rep.Err, &le) || le.Lost != 3 || le.Unit != "jobs" {
			t.Errorf("LossError: %+v", le)
		}
		if rep.Lost != 3 || rep.HandedBack != 2 {
			t.Errorf("totals: lost %d, handed back %d; want 3, 2", rep.Lost, rep.HandedBack)
		}
		if c := rep.Component("writer"); c.Lost != 3 || c.HandedBack != 2 || c.Unit != "jobs" {
			t.Errorf("writer's account: %+v", c.Account)
		}
		if seen.Load() != 3 {
			t.Errorf("EventStopped carried lost=%d, want 3", seen.Load())
		}
		if s := rep.String(); !strings.Contains(s, "3 jobs lost, 2 handed back") || !strings.Contains(s, "3 lost, 2 handed back") {
			t.Errorf("text report does not show the loss:\n%s", s)
		}
		js, _ := json.Marshal(rep)
		var back struct {
			Lost       int64 `json:"lost"`
			HandedBack int64 `json:"handed_back"`
			Components []struct {
				Name string `json:"name"`
				Unit string `json:"unit"`
				Lost int64  `json:"lost"`
			} `json:"components"`
		}
		if err := json.Unmarshal(js, &back); err != nil || back.Lost != 3 || back.HandedBack != 2 || back.Components[0].Lost != 3 || back.Components[0].Unit != "jobs" {
			t.Errorf("JSON report: %s", js)
		}
	})
}

func TestHandedBackAloneIsAClean(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &counted{}
		w.OnStop = func(ctx context.Context) error { w.back.Store(5); return nil }
		app := newApp()
		app.Add("consumer", w)
		rep := stopReady(t, app)
		if rep.ExitCode != grace.ExitClean || rep.Err != nil || rep.HandedBack != 5 {
			t.Errorf("exit %d, err %v, handed back %d: redelivered work is not lost", rep.ExitCode, rep.Err, rep.HandedBack)
		}
	})
}

func TestLossWithATimeoutStillSaysLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &counted{}
		w.OnStop = func(ctx context.Context) error { w.lost.Store(1); return errors.New("flush failed") }
		app := newApp()
		app.Add("writer", w)
		rep := stopReady(t, app)
		if rep.ExitCode != grace.ExitLost || !strings.Contains(rep.Error, "flush failed") || !errors.Is(rep.Err, grace.ErrLost) {
			t.Errorf("exit %d, err %v", rep.ExitCode, rep.Err)
		}
	})
}

type panicky struct{ grace.Hook }

func (panicky) Account() grace.Account { panic("books burnt") }

func TestAPanicInAccountIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp()
		app.Add("writer", panicky{})
		rep := stopReady(t, app)
		if rep.ExitCode == grace.ExitClean || !errors.Is(rep.Err, grace.ErrPanic) || !strings.Contains(rep.Error, "account writer") {
			t.Errorf("exit %d, err %v: unknown figures must not look clean", rep.ExitCode, rep.Err)
		}
	})
}

// locked is a component whose Account takes the lock its Stop holds — the shape of an adapter
// that counts under the lock its stop works under. Its Stop hangs, holding the lock, until the
// test ends.
type locked struct {
	mu      chan struct{} // a lock of capacity 1 (a channel, so that synctest sees its waits)
	release chan struct{}
}

func (l *locked) Stop(ctx context.Context) error {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	<-l.release
	return nil
}

func (l *locked) Account() grace.Account {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return grace.Account{Unit: "jobs"}
}

func TestABlockedAccountDoesNotHangTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &locked{mu: make(chan struct{}, 1), release: make(chan struct{})}
		defer close(l.release)
		app := newApp(grace.WithBudget(2 * time.Second))
		app.Add("writer", l, grace.StopTimeout(time.Second))
		rep := stopReady(t, app)
		c := rep.Component("writer")
		if c == nil || c.State != grace.StateAbandoned {
			t.Fatalf("writer: %+v", c)
		}
		if !errors.Is(rep.Err, grace.ErrTimeout) || !strings.Contains(rep.Error, "Account did not return") || rep.ExitCode == grace.ExitClean {
			t.Errorf("exit %d, err %v: a blocked Account must be reported, its figures unknown", rep.ExitCode, rep.Err)
		}
	})
}
