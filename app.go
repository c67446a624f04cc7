package grace

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// App runs components: it starts them in dependency order, reports ready, and on a signal,
// [App.Stop], a failed component or the end of Run's context, drains and stops them in reverse
// dependency order within one budget, then returns a [Report].
//
// The zero value is an App with the defaults; [New] sets options. An App runs once. All methods
// are safe for concurrent use.
type App struct {
	mu       sync.Mutex
	opts     []Option
	nodes    []*node
	byName   map[string]*node
	problems []string
	late     []string // components added after Run was called
	ran      bool
	cfg      config // set by Run
	cfgErr   error  // Run's configuration error, if any

	phase   atomic.Int32
	phaseCh [numPhases]chan struct{}
	phaseAt [numPhases]time.Time

	trig     *Trigger
	trigCh   chan struct{} // closed on the first trigger
	escCh    chan struct{} // closed on the second signal
	forceCh  chan struct{} // closed on the third signal
	escOnce  sync.Once
	forceOne sync.Once

	logger *slog.Logger
}

// New returns an App configured by opts. Problems with opts (a negative budget, say) are reported
// by [App.Run] before anything starts.
func New(opts ...Option) *App { return &App{opts: slices.Clone(opts)} }

// Add registers a component under a unique name. c implements one or more of [Starter],
// [Stopper], [Runner], [Drainer], [Quieter] ([Hook], [RunFunc], [Ticker] and [Consume] make
// components of functions). Without [DependsOn] or [Independent], the component depends on every
// component added before it, so registration order alone gives a safe stop order.
//
// Add does not fail: problems (a duplicate name, an unknown dependency, a cycle) are collected
// and returned by [App.Run] as a [ConfigError] before anything starts. Adding after Run was
// called is such a problem too: the component is ignored, the problem is logged at once as an
// error, and [App.Plan] returns it in its ConfigError from then on.
func (a *App) Add(name string, c any, opts ...ComponentOption) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ran {
		p := "component " + quote(name) + " added after Run was called"
		a.late = append(a.late, p)
		a.log().Error("grace: "+p+"; ignored", "component", name)
		return
	}
	n := &node{name: name, c: c, idx: len(a.nodes)}
	for _, o := range opts {
		if o != nil {
			o.applyComponent(&n.cfg)
		}
	}
	a.nodes = append(a.nodes, n)
}

// Stop asks the app to stop, for the given reason, as a first signal would. It does not wait: Run
// returns when the stop is done. Stop before Run makes Run roll back at once; a stop requested
// while components start is never lost. Safe to call more than once; only the first call counts.
func (a *App) Stop(reason string) {
	a.trigger(Trigger{Kind: TriggerStop, Reason: reason})
}

// Phase returns the app's current phase.
func (a *App) Phase() Phase { return Phase(a.phase.Load()) }

// Ready reports whether the app should receive traffic: true only in [PhaseReady].
func (a *App) Ready() bool { return a.Phase() == PhaseReady }

// Live reports whether the process is alive and well: true from the start of Run until it
// returns, including while draining (restarting a draining instance would lose its work).
func (a *App) Live() bool {
	p := a.Phase()
	return p > PhaseIdle && p < PhaseStopped
}

// Await returns a channel that is closed once the app has reached phase p or any later phase.
// Phases can be skipped (a failed start never reaches PhaseReady), so check [App.Phase] after.
func (a *App) Await(p Phase) <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.initLocked()
	if p < 0 || p >= numPhases {
		p = PhaseStopped
	}
	return a.phaseCh[p]
}

func (a *App) initLocked() {
	if a.trigCh != nil {
		return
	}
	for i := range a.phaseCh {
		a.phaseCh[i] = make(chan struct{})
	}
	close(a.phaseCh[PhaseIdle])
	a.trigCh = make(chan struct{})
	a.escCh = make(chan struct{})
	a.forceCh = make(chan struct{})
	a.byName = map[string]*node{}
}

func (a *App) setPhase(p Phase) {
	a.mu.Lock()
	a.initLocked()
	now := time.Now()
	old := Phase(a.phase.Load())
	if p > old {
		// Store first: whoever wakes on a channel below must read the new phase.
		a.phase.Store(int32(p))
	}
	for i := old + 1; i <= p; i++ {
		a.phaseAt[i] = now
		close(a.phaseCh[i])
	}
	a.mu.Unlock()
	a.log().Info("grace: phase", "phase", p.String())
	a.emit(Event{Kind: EventPhase, Phase: p, At: now})
}

// trigger records the first reason to stop; later ones are ignored. It reports whether it was first.
func (a *App) trigger(t Trigger) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.initLocked()
	if a.trig != nil {
		return false
	}
	t.At = time.Now()
	a.trig = &t
	close(a.trigCh)
	return true
}

func (a *App) triggered() *Trigger {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.trig
}

func (a *App) escalate() { a.escOnce.Do(func() { close(a.escCh) }) }
func (a *App) force()    { a.forceOne.Do(func() { close(a.forceCh) }) }

func (a *App) log() *slog.Logger {
	if a.logger != nil {
		return a.logger
	}
	return slog.Default()
}

// node is one component and its state during a run.
type node struct {
	name string
	c    any
	cfg  componentConfig
	idx  int

	deps       []*node // what it uses: started before it, stopped after it
	dependents []*node

	started   bool
	stopping  atomic.Bool
	runCancel context.CancelCauseFunc
	runDone   chan struct{}
	runErr    error // set before runDone closes
	rep       ComponentReport
	repMu     sync.Mutex
	labelCtx  [len(ops)]atomic.Pointer[context.Context]
}

func quote(s string) string { return "\"" + s + "\"" }
