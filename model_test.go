package grace_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
)

// The randomized model test: every seed generates an app — 1 to 50 components on a random
// dependency graph, with random start, drain, stop and run behaviour (durations, errors, panics,
// Goexits, hangs, contexts ignored), consumers with queued work, random limits and budgets — and
// a script of one to three stops and signals at random moments, while another goroutine calls
// App's methods. It runs in a synctest bubble (fake time: budgets cost nothing) and checks the
// engine's documented rules on every run; see checkModel.
//
// A seed fixes the scenario; goroutines that are runnable at the same moment may still be
// scheduled in another order, so a failure replays with its seed almost always, not always.
var (
	modelSeed  = flag.Uint64("model.seed", 0, "run only this seed of TestModel (replays a failure)")
	modelSeeds = flag.Int("model.seeds", 0, "how many seeds TestModel runs (default 10,000; env GRACE_MODEL_SEEDS)")
)

func modelSeedCount() int {
	if *modelSeeds > 0 {
		return *modelSeeds
	}
	if n, err := strconv.Atoi(os.Getenv("GRACE_MODEL_SEEDS")); err == nil && n > 0 {
		return n
	}
	return 10_000
}

func TestModel(t *testing.T) {
	if *modelSeed != 0 {
		runModel(t, *modelSeed)
		return
	}
	n := modelSeedCount()
	shards := runtime.GOMAXPROCS(0)
	for s := range shards {
		t.Run(fmt.Sprint("shard", s), func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1 + s); seed <= uint64(n); seed += uint64(shards) {
				if !runModel(t, seed) {
					return
				}
			}
		})
	}
}

func FuzzModel(f *testing.F) {
	for _, s := range []uint64{1, 2, 3, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { runModel(t, seed) })
}

// runModel runs one seed and reports whether its checks passed; a failure names the seed and
// how to replay it.
func runModel(t *testing.T, seed uint64) bool {
	t.Helper()
	m := genModel(seed)
	synctest.Test(t, func(t *testing.T) { m.run() })
	// Checked once every goroutine of the bubble has ended: calls abandoned by the engine have
	// finished (a stop the engine no longer waited for was still called).
	problems := m.check()
	if len(problems) > 0 {
		t.Errorf("model seed %d failed (replay: go test -run 'TestModel$' -model.seed=%d .):\n  %s\nscenario:\n%s",
			seed, seed, strings.Join(problems, "\n  "), m.describe())
		return false
	}
	return true
}

// outcome is how a call ends once its delay is over.
type outcome int

const (
	endOK outcome = iota
	endErr
	endPanic
	endGoexit
	endHang // blocks, ignoring ctx, until the test releases it after Run returned
)

var outcomeNames = []string{"ok", "error", "panic", "goexit", "hang"}

// call is the behaviour of one Start, Drain, Stop or Run: wait d (returning ctx's error if ctx
// ends first, unless stubborn), then end as end says.
type call struct {
	d        time.Duration
	stubborn bool
	end      outcome
}

func (c call) String() string {
	s := fmt.Sprintf("%v→%s", c.d, outcomeNames[c.end])
	if c.stubborn {
		s += " (ignores ctx)"
	}
	return s
}

type compKind int

const (
	kindHook compKind = iota
	kindRunner
	kindConsumer
	kindTicker
)

var kindNames = []string{"hook", "runner", "consumer", "ticker"}

type compSpec struct {
	name       string
	kind       compKind
	start      *call // hook: nil = no OnStart
	drain      *call
	stop       *call
	run        call // runner: its Run; endOK with d means "done after d", a zero d waits for ctx
	restart    bool
	deps       []int
	declared   bool // DependsOn(deps...)
	independnt bool
	foundation bool
	limit      time.Duration
	// consumer
	queue  int
	closed bool
	per    time.Duration
	failAt int // value index whose handle fails (-1: none)
	failAs outcome
	leave  bool
	// ticker
	interval time.Duration
}

type modelEvent struct {
	seq  int
	what string // "stopping", "stopped", "abandoned"
}

type model struct {
	seed       uint64
	budget     time.Duration
	escalated  time.Duration
	delay      time.Duration
	startLimit time.Duration
	badConfig  bool
	comps      []*compSpec
	script     []scriptStep

	// what happened
	mu      sync.Mutex
	seq     int
	calls   map[string]map[string]int // component -> op -> count
	goexits map[string]bool
	// goexitLive: a Goexit came while its call's ctx was still live, so the engine was waiting
	goexitLive map[string]bool
	panics     map[string]int
	events     map[string][]modelEvent
	handled    map[string]int
	sigs       gracetest.Signals
	release    chan struct{}
	rep        *grace.Report
	err        error
	returned   time.Duration // from the trigger to Run's return
	planErrs   []string
}

type scriptStep struct {
	at     time.Duration
	signal bool // else App.Stop
}

func genModel(seed uint64) *model {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	dur := func(max time.Duration) time.Duration {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return time.Duration(rng.Int64N(int64(10*time.Millisecond))) + time.Millisecond
		default:
			return time.Duration(rng.Int64N(int64(max)))
		}
	}
	m := &model{seed: seed}
	m.budget = time.Duration(1+rng.IntN(10)) * time.Second
	m.escalated = time.Duration(100+rng.IntN(2000)) * time.Millisecond
	if rng.IntN(3) == 0 {
		m.delay = time.Duration(rng.Int64N(int64(m.budget / 3)))
	}
	m.startLimit = time.Duration(500+rng.IntN(10_000)) * time.Millisecond
	m.badConfig = rng.IntN(100) == 0
	// Mostly small apps, some large: 1-50 components.
	n := 1 + rng.IntN(8)
	if rng.IntN(5) == 0 {
		n = 1 + rng.IntN(50)
	}
	rare := func(p int) bool { return rng.IntN(100) < p }
	op := func(max time.Duration) *call {
		c := &call{d: dur(max)}
		switch r := rng.IntN(100); {
		case r < 5:
			c.end = endErr
		case r < 9:
			c.end = endPanic
		case r < 12:
			c.end = endGoexit
		case r < 14:
			c.end = endHang
		}
		c.stubborn = rare(6)
		return c
	}
	maybe := func(max time.Duration) *call {
		if rng.IntN(2) == 0 {
			return nil
		}
		return op(max)
	}
	for i := range n {
		c := &compSpec{name: fmt.Sprint("c", i), failAt: -1}
		c.kind = compKind(rng.IntN(4))
		switch c.kind {
		case kindHook:
			c.start, c.drain, c.stop = maybe(2*time.Second), maybe(time.Second), maybe(2*time.Second)
		case kindRunner:
			c.run = *op(3 * time.Second)
			if c.run.end == endOK && rng.IntN(2) == 0 {
				c.run.d = 0 // a worker that runs until its ctx ends
			}
			c.restart = c.run.end == endPanic && rng.IntN(2) == 0
		case kindConsumer:
			c.queue = rng.IntN(30)
			c.closed = rng.IntN(2) == 0
			c.per = dur(200 * time.Millisecond)
			if rare(15) && c.queue > 0 {
				c.failAt = rng.IntN(c.queue)
				c.failAs = []outcome{endErr, endPanic, endGoexit, endHang}[rng.IntN(4)]
				c.restart = c.failAs == endPanic && rng.IntN(2) == 0
			}
			c.leave = rare(10)
		case kindTicker:
			c.interval = time.Duration(1+rng.IntN(500)) * time.Millisecond
			c.run = call{d: dur(time.Second)}
		}
		switch r := rng.IntN(10); {
		case r < 4: // registration order
		case r < 8:
			c.declared = true
			for j := range i {
				if rng.IntN(3) == 0 && !m.comps[j].foundation {
					c.deps = append(c.deps, j)
				}
			}
		case r < 9:
			c.independnt = true
		default:
			c.foundation = true
		}
		if rng.IntN(2) == 0 {
			c.limit = time.Duration(10+rng.Int64N(int64(m.budget/time.Millisecond)-10)) * time.Millisecond
		}
		m.comps = append(m.comps, c)
	}
	for range 1 + rng.IntN(3) {
		m.script = append(m.script, scriptStep{at: dur(4 * time.Second), signal: rng.IntN(5) < 3})
	}
	return m
}

func (m *model) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  budget %v escalated %v drain delay %v start timeout %v bad config %v\n", m.budget, m.escalated, m.delay, m.startLimit, m.badConfig)
	for _, s := range m.script {
		what := "Stop"
		if s.signal {
			what = "SIGTERM"
		}
		fmt.Fprintf(&b, "  at %v: %s\n", s.at, what)
	}
	for _, c := range m.comps {
		fmt.Fprintf(&b, "  %s %s", c.name, kindNames[c.kind])
		switch {
		case c.declared:
			fmt.Fprintf(&b, " deps %v", c.deps)
		case c.independnt:
			b.WriteString(" independent")
		case c.foundation:
			b.WriteString(" stops-last")
		}
		if c.limit > 0 {
			fmt.Fprintf(&b, " limit %v", c.limit)
		}
		switch c.kind {
		case kindHook:
			fmt.Fprintf(&b, " start %v drain %v stop %v", c.start, c.drain, c.stop)
		case kindRunner:
			fmt.Fprintf(&b, " run %v restart %v", c.run, c.restart)
		case kindConsumer:
			fmt.Fprintf(&b, " queue %d closed %v per %v failAt %d as %s restart %v leave %v", c.queue, c.closed, c.per, c.failAt, outcomeNames[c.failAs], c.restart, c.leave)
		case kindTicker:
			fmt.Fprintf(&b, " every %v job %v", c.interval, c.run)
		}
		b.WriteString("\n")
	}
	return b.String()
}

var errModel = errors.New("model failure")

// record notes a component-side call, with a sequence number shared with the observer's events.
func (m *model) record(name, op string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	if m.calls[name] == nil {
		m.calls[name] = map[string]int{}
	}
	m.calls[name][op]++
}

func (m *model) count(name, op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[name][op]
}

// do carries out a call.
func (m *model) do(ctx context.Context, name string, c call) error {
	if c.d > 0 {
		if c.stubborn { // ignores ctx; the end of the test ends it too, so the bubble can end
			select {
			case <-time.After(c.d):
			case <-m.release:
			}
		} else {
			select {
			case <-time.After(c.d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return m.end(ctx, name, c.end)
}

func (m *model) end(ctx context.Context, name string, e outcome) error {
	switch e {
	case endErr:
		return errModel
	case endPanic:
		m.mu.Lock()
		m.panics[name]++
		m.mu.Unlock()
		panic("model panic in " + name)
	case endGoexit:
		m.mu.Lock()
		m.goexits[name] = true
		m.goexitLive[name] = m.goexitLive[name] || ctx.Err() == nil
		m.mu.Unlock()
		runtime.Goexit()
	case endHang:
		<-m.release
	}
	return nil
}

func (m *model) hookFunc(name, op string, c *call) func(context.Context) error {
	if c == nil {
		return func(context.Context) error { m.record(name, op); return nil }
	}
	return func(ctx context.Context) error {
		m.record(name, op)
		return m.do(ctx, name, *c)
	}
}

func (m *model) component(c *compSpec) any {
	switch c.kind {
	case kindHook:
		return grace.Hook{OnStart: m.hookFunc(c.name, "start", c.start), OnDrain: m.hookFunc(c.name, "drain", c.drain), OnStop: m.hookFunc(c.name, "stop", c.stop)}
	case kindRunner:
		return grace.RunFunc(func(ctx context.Context) error {
			m.record(c.name, "run")
			if c.run.d == 0 && c.run.end == endOK {
				<-ctx.Done()
				return nil
			}
			if m.count(c.name, "run") > 1 && c.run.end == endPanic {
				<-ctx.Done() // restarted after its panic: behaves from now on
				return nil
			}
			return m.do(ctx, c.name, c.run)
		})
	case kindConsumer:
		ch := make(chan int, c.queue+1)
		for i := range c.queue {
			ch <- i
		}
		if c.closed {
			close(ch)
		}
		var opts []grace.ConsumeOption
		if c.leave {
			opts = append(opts, grace.LeaveBuffered())
		}
		return &stopRecorder{m: m, name: c.name, c: grace.Consume(ch, func(ctx context.Context, v int) error {
			m.record(c.name, "handle")
			if v == c.failAt {
				if c.failAs == endHang {
					<-m.release
					m.mu.Lock()
					m.handled[c.name]++
					m.mu.Unlock()
					return nil
				}
				return m.end(ctx, c.name, c.failAs)
			}
			if c.per > 0 {
				select {
				case <-time.After(c.per):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			m.mu.Lock()
			m.handled[c.name]++
			m.mu.Unlock()
			return nil
		}, opts...)}
	default:
		return &stopRecorder{m: m, name: c.name, c: grace.Ticker(c.interval, func(ctx context.Context) error {
			m.record(c.name, "tick")
			return m.do(ctx, c.name, c.run)
		})}
	}
}

// stopRecorder records the engine's calls of a worker's Stop, and passes everything through.
type stopRecorder struct {
	m    *model
	name string
	c    interface {
		grace.Runner
		grace.Stopper
	}
}

func (r *stopRecorder) Run(ctx context.Context) error { return r.c.Run(ctx) }
func (r *stopRecorder) Stop(ctx context.Context) error {
	r.m.record(r.name, "stop")
	return r.c.Stop(ctx)
}

func (r *stopRecorder) Account() grace.Account {
	if a, ok := r.c.(grace.Accounter); ok {
		return a.Account()
	}
	return grace.Account{}
}

// run runs the app; it must be called inside the bubble, which owns every channel it makes.
func (m *model) run() {
	m.release = make(chan struct{})
	m.calls, m.goexits, m.goexitLive, m.panics, m.events, m.handled = map[string]map[string]int{}, map[string]bool{}, map[string]bool{}, map[string]int{}, map[string][]modelEvent{}, map[string]int{}
	app := grace.New(grace.WithLogger(quiet), grace.WithSignalSource(&m.sigs), grace.WithSignals(syscall.SIGTERM),
		grace.WithBudget(m.budget), grace.WithEscalatedBudget(m.escalated), grace.WithDrainDelay(m.delay),
		grace.WithStartTimeout(m.startLimit),
		grace.WithObserver(func(e grace.Event) {
			var what string
			switch e.Kind {
			case grace.EventStopping:
				what = "stopping"
			case grace.EventStopped:
				what = "stopped"
			case grace.EventAbandoned:
				what = "abandoned"
			default:
				return
			}
			m.mu.Lock()
			m.seq++
			m.events[e.Component] = append(m.events[e.Component], modelEvent{m.seq, what})
			m.mu.Unlock()
		}))
	for _, c := range m.comps {
		var opts []grace.ComponentOption
		switch {
		case c.declared:
			var names []string
			for _, d := range c.deps {
				names = append(names, m.comps[d].name)
			}
			opts = append(opts, grace.DependsOn(names...))
		case c.independnt:
			opts = append(opts, grace.Independent())
		case c.foundation:
			opts = append(opts, grace.StopsLast())
		}
		if c.limit > 0 {
			opts = append(opts, grace.StopTimeout(c.limit))
		}
		if c.restart {
			opts = append(opts, grace.RestartOnPanic(10*time.Millisecond, 100*time.Millisecond))
		}
		app.Add(c.name, m.component(c), opts...)
	}
	if m.badConfig {
		app.Add(m.comps[0].name, grace.Hook{}) // a duplicate name
	}

	done := make(chan struct{})
	var helpers sync.WaitGroup
	// The script: stops and signals at random moments from the start of Run.
	helpers.Go(func() {
		select {
		case <-app.Await(grace.PhaseStarting):
		case <-done:
			return
		}
		begin := time.Now()
		for _, s := range m.script {
			select {
			case <-time.After(s.at - time.Since(begin)):
			case <-done:
				return
			}
			if s.signal {
				m.sigs.TrySend(syscall.SIGTERM)
			} else {
				app.Stop("model")
			}
		}
	})
	// Concurrent calls of App's methods through the run.
	helpers.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(time.Duration(1+i%7) * 70 * time.Millisecond):
			}
			p := app.Phase()
			if app.Ready() && app.Phase() != grace.PhaseReady && app.Ready() {
				m.problem("Ready() outside PhaseReady (%v)", app.Phase())
			}
			if !app.Live() && p > grace.PhaseIdle && app.Phase() < grace.PhaseStopped {
				m.problem("not Live in phase %v", p)
			}
			if _, err := app.Plan(); (err != nil) != m.badConfig {
				m.problem("Plan during the run: %v", err)
			}
			select {
			case <-app.Await(p):
			default:
				m.problem("Await(%v) not closed in phase %v", p, p)
			}
		}
	})
	m.rep, m.err = app.Run(context.Background())
	end := time.Now()
	if !m.rep.Trigger.At.IsZero() {
		m.returned = end.Sub(m.rep.Trigger.At)
	}
	close(done)
	close(m.release) // let every hung call finish: the bubble waits for all its goroutines
	helpers.Wait()
}

func (m *model) problem(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.planErrs = append(m.planErrs, fmt.Sprintf(format, args...))
}

// depends reports the direct dependencies of comps[i] the documented rules give it: what it
// declares, or every component added before it; plus every StopsLast component.
func (m *model) depends(i int) []int {
	c := m.comps[i]
	var deps []int
	switch {
	case c.declared:
		deps = append(deps, c.deps...)
	case c.independnt, c.foundation:
	default:
		for j := range i {
			if !m.comps[j].foundation {
				deps = append(deps, j)
			}
		}
	}
	if !c.foundation {
		for j, o := range m.comps {
			if o.foundation && j != i {
				deps = append(deps, j)
			}
		}
	}
	return deps
}

// check returns every broken rule of the run.
func (m *model) check() []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	rep := m.rep
	p = append(p, m.planErrs...)
	forced := errors.Is(m.err, grace.ErrForced)

	if m.badConfig {
		if !errors.Is(m.err, grace.ErrInvalid) || rep.ExitCode != grace.ExitStartFailed {
			bad("bad configuration: err %v exit %d", m.err, rep.ExitCode)
		}
		for name, ops := range m.calls {
			bad("bad configuration, yet %s was called: %v", name, ops)
		}
		return p
	}

	// Run returns within its budget from the trigger, plus the report's look for goroutines left
	// behind (at most 100 ms, leftBehindWait).
	if m.returned > m.budget+100*time.Millisecond {
		bad("Run returned %v after the trigger; budget %v", m.returned, m.budget)
	}

	state := map[string]*grace.ComponentReport{}
	for i := range rep.Components {
		state[rep.Components[i].Name] = &rep.Components[i]
	}
	var lost, back int64
	for i, c := range m.comps {
		cr := state[c.name]
		if cr == nil {
			bad("%s missing from the report", c.name)
			continue
		}
		lost += cr.Lost
		back += cr.HandedBack
		calls := m.calls[c.name]
		// Each of Start, Drain, Stop at most once; Run more than once only after a panic with
		// RestartOnPanic.
		for _, op := range []string{"start", "drain", "stop"} {
			if calls[op] > 1 {
				bad("%s: %s called %d times", c.name, op, calls[op])
			}
		}
		if c.kind == kindRunner && calls["run"] > 1+m.panics[c.name] {
			bad("%s: run called %d times after %d panics", c.name, calls["run"], m.panics[c.name])
		}
		// Started: its start succeeded (a start that failed or was abandoned names "start").
		started := cr.State != grace.StateNotStarted && !startFailure(cr.Err)
		if !started && (calls["stop"] > 0 || calls["drain"] > 0 || calls["run"] > 0 || m.handled[c.name] > 0) {
			bad("%s is %q, yet was called: %v", c.name, cr.State, calls)
		}
		// Closers always run: a started component is stopped, unless a third signal forced the end.
		if started && !forced && c.kind != kindRunner && calls["stop"] != 1 {
			bad("%s (%s) started, but its stop was called %d times", c.name, cr.State, calls["stop"])
		}
		if cr.State == grace.StateRunning && !forced {
			bad("%s still running after an unforced stop", c.name)
		}
		if cr.State == grace.StateAbandoned && !cr.TimedOut && !forced {
			bad("%s abandoned without a timeout", c.name)
		}
		if cr.Panicked && m.panics[c.name] == 0 {
			bad("%s reported panicked, but never panicked", c.name)
		}
		if errors.Is(cr.Err, grace.ErrGoexit) && !m.goexits[c.name] {
			bad("%s reported a Goexit it never did", c.name)
		}
		// A Goexit is a failure named as such — unless the call was given up on before it.
		if m.goexitLive[c.name] && !forced && cr.State != grace.StateAbandoned && !errors.Is(cr.Err, grace.ErrGoexit) {
			bad("%s called Goexit, but its report says %q", c.name, cr.Error)
		}
		if cr.Restarts > m.panics[c.name] {
			bad("%s: %d restarts for %d panics", c.name, cr.Restarts, m.panics[c.name])
		}
		// Queued work is handled or counted as lost.
		if c.kind == kindConsumer {
			h := int64(m.handled[c.name])
			switch {
			case !started:
				if h != 0 || cr.Lost != 0 {
					bad("%s never started, yet handled %d lost %d", c.name, h, cr.Lost)
				}
			case cr.State == grace.StateAbandoned || cr.State == grace.StateRunning || forced || c.failAs == endHang && c.failAt >= 0:
				// Work in hand at the report may still finish after it: counted lost, then done.
				if h+cr.Lost < int64(c.queue) {
					bad("%s: %d queued, %d handled + %d lost: work lost silently", c.name, c.queue, h, cr.Lost)
				}
			default:
				if h+cr.Lost != int64(c.queue) {
					bad("%s (%s): %d queued, %d handled + %d lost", c.name, cr.State, c.queue, h, cr.Lost)
				}
			}
			if cr.Lost > 0 && cr.Unit != "values" {
				bad("%s: unit %q", c.name, cr.Unit)
			}
		}
		// Nothing stops before everything that depends on it stopped or was abandoned.
		turn := m.first(c.name, "stopping")
		if turn < 0 {
			continue
		}
		for j := range m.comps {
			if j == i || !contains(m.depends(j), i) {
				continue
			}
			d := m.comps[j].name
			end := max(m.first(d, "stopped"), m.first(d, "abandoned"))
			if m.first(d, "stopping") >= 0 && (end < 0 || end > turn) {
				bad("%s's turn to stop came before %s (which depends on it) stopped", c.name, d)
			}
			if ds := state[d]; m.first(d, "stopping") < 0 && ds != nil && (ds.State == grace.StateStopped || ds.State == grace.StateDone) {
				bad("%s stopped with %s (%s), which depends on it, never stopped", c.name, d, ds.State)
			}
		}
	}
	if lost != rep.Lost || back != rep.HandedBack {
		bad("totals lost %d handed back %d; components sum to %d, %d", rep.Lost, rep.HandedBack, lost, back)
	}

	// The exit code follows the documented order of precedence.
	want := grace.ExitClean
	switch {
	case forced:
		want = grace.ExitForced
	case anyStartFailure(rep):
		want = grace.ExitStartFailed
	case rep.Trigger.Kind == grace.TriggerFailure:
		want = grace.ExitCrashed
	case rep.Lost > 0:
		want = grace.ExitLost
	case m.err != nil || anyState(rep, grace.StateAbandoned):
		want = grace.ExitStopFailed
	}
	if rep.ExitCode != want {
		bad("exit code %d (%s), want %d (%s)", rep.ExitCode, grace.ExitCodeName(rep.ExitCode), want, grace.ExitCodeName(want))
	}
	if (m.err == nil) != (rep.ExitCode == grace.ExitClean) {
		bad("exit code %d with error %v", rep.ExitCode, m.err)
	}
	if (rep.Lost > 0) != errors.Is(m.err, grace.ErrLost) {
		bad("lost %d, yet the error %v", rep.Lost, m.err)
	}
	if len(p) > 0 {
		p = append(p, "report:\n"+rep.String())
	}
	return p
}

func (m *model) first(name, what string) int {
	for _, e := range m.events[name] {
		if e.what == what {
			return e.seq
		}
	}
	return -1
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// startFailure reports whether err holds a failure of the component's start.
func startFailure(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if startFailure(e) {
				return true
			}
		}
		return false
	}
	var ce *grace.ComponentError
	return errors.As(err, &ce) && ce.Op == "start"
}

func anyStartFailure(rep *grace.Report) bool {
	for _, c := range rep.Components {
		if c.State == grace.StateFailed && startFailure(c.Err) {
			return true
		}
	}
	return false
}

func anyState(rep *grace.Report, state string) bool {
	for _, c := range rep.Components {
		if c.State == state {
			return true
		}
	}
	return false
}
