package graceotel

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/gracekit/grace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of graceotel's spans and metrics.
const ScopeName = "github.com/gracekit/grace/graceotel"

// Attribute keys.
const (
	AttrComponent = attribute.Key("grace.component")
	AttrPhase     = attribute.Key("grace.phase")
	AttrOutcome   = attribute.Key("grace.outcome") // ok, error, abandoned; unfinished on a stop span
	AttrForced    = attribute.Key("grace.forced")  // component, or the unit of what a stop cut: connections, rpcs, requests, …
	AttrTrigger   = attribute.Key("grace.trigger") // what started the stop: "signal terminated", "stop (deploy)", …
	AttrUnit      = attribute.Key("grace.unit")    // what a component's account counts: requests, rpcs, connections, …
	// On stop spans (a component's, and grace.stop for the total): what was lost and handed back.
	AttrLost       = attribute.Key("grace.lost")
	AttrHandedBack = attribute.Key("grace.handed_back")
)

// Telemetry records an app's events as spans and metrics — it is a [grace.Observer]: added to
// the app, it is given every event — and, as a [grace.Stopper], shuts the providers down at its
// turn to stop. Its methods are safe for concurrent use.
type Telemetry struct {
	tp *sdktrace.TracerProvider
	mp *sdkmetric.MeterProvider

	tracer   trace.Tracer
	phaseDur metric.Float64Histogram
	startDur metric.Float64Histogram
	stopDur  metric.Float64Histogram
	running  metric.Int64UpDownCounter
	forced   metric.Int64Counter
	lost     metric.Int64Counter
	handed   metric.Int64Counter

	mu       sync.Mutex
	phase    grace.Phase
	phaseAt  time.Time
	start    span                  // grace.start
	stop     span                  // grace.stop
	drain    span                  // grace.drain, child of grace.stop
	stopping span                  // grace.stopping, child of grace.stop
	stops    map[string]trace.Span // component stop spans, from EventStopping to the stop's end
	shutdown bool
	inFlight map[string]func() int64
	accounts bool  // an event carried an account: grace.stop gets the totals
	lostSum  int64 // totals of the accounts seen
	handSum  int64
	shutOnce sync.Once
	shutDone chan struct{}
	shutErr  error
}

// span is an open span and the context that carries it, for its children.
type span struct {
	ctx  context.Context
	span trace.Span
}

func (s span) open() bool { return s.span != nil }

func (s *span) end(at time.Time) {
	if s.span != nil {
		s.span.End(trace.WithTimestamp(at))
		s.span = nil
	}
}

// New returns the telemetry for an app, recording through tp and mp and shutting them down at
// its turn to stop. Either may be nil: that signal is then not recorded. It fails only if the
// meter provider refuses an instrument.
func New(tp *sdktrace.TracerProvider, mp *sdkmetric.MeterProvider) (*Telemetry, error) {
	t := &Telemetry{tp: tp, mp: mp, inFlight: map[string]func() int64{}, stops: map[string]trace.Span{}, shutDone: make(chan struct{})}
	if tp != nil {
		t.tracer = tp.Tracer(ScopeName)
	} else {
		t.tracer = tracenoop.NewTracerProvider().Tracer(ScopeName)
	}
	var meter metric.Meter = metricnoop.NewMeterProvider().Meter(ScopeName)
	if mp != nil {
		meter = mp.Meter(ScopeName)
	}
	if err := t.instruments(meter); err != nil {
		return nil, fmt.Errorf("graceotel: create instruments: %w", err)
	}
	return t, nil
}

func (t *Telemetry) instruments(m metric.Meter) error {
	var errs []error
	seconds := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc))
		errs = append(errs, err)
		return h
	}
	count := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	t.phaseDur = seconds("grace.phase.duration", "How long each phase of the app's run lasted.")
	t.startDur = seconds("grace.component.start.duration", "How long each component's start took.")
	t.stopDur = seconds("grace.component.stop.duration", "How long each component's stop took, or until it was abandoned.")
	t.forced = count("grace.forced_closes", "{close}", "Components abandoned at their limit, and what components cut at their deadline.")
	t.lost = count("grace.lost", "{unit}", "Units of accepted work components lost at their stop (requests cut, connections cut in use, ...), by component and unit.")
	t.handed = count("grace.handed_back", "{unit}", "Units of work components handed back for redelivery at their stop, by component and unit.")
	var err error
	t.running, err = m.Int64UpDownCounter("grace.components.running", metric.WithUnit("{component}"),
		metric.WithDescription("Components started and not yet stopped; during the stop, the stops in flight."))
	errs = append(errs, err)
	gauge, err := m.Int64ObservableGauge("grace.in_flight", metric.WithUnit("{item}"),
		metric.WithDescription("Work in flight in each component, as the component reports it."))
	errs = append(errs, err)
	if err == nil {
		// Never unregistered: the final collection, at the shutdown, reads it too.
		_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			t.mu.Lock()
			funcs := maps.Clone(t.inFlight)
			t.mu.Unlock()
			for name, f := range funcs {
				o.ObserveInt64(gauge, f(), metric.WithAttributes(AttrComponent.String(name)))
			}
			return nil
		}, gauge)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ObserveInFlight reports, at every metric collection (the last one is the providers' shutdown),
// how much work component has in flight — requests, messages, jobs. f must be quick and safe for
// concurrent use. A second call for the same component replaces f; a nil f removes it.
func (t *Telemetry) ObserveInFlight(component string, f func() int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f == nil {
		delete(t.inFlight, component)
		return
	}
	t.inFlight[component] = f
}

// Observe records one of the app's events. The app calls it on the Telemetry added to it
// (app.Add), for every event of the run: do not also give it to grace.WithObserver, which would
// record each event twice. It is quick, safe for concurrent use, and records nothing once the
// providers are shut down. A stop error that is a grace.CutError (errors.As) adds what was cut
// to grace.forced_closes, with grace.forced set to its unit.
func (t *Telemetry) Observe(e grace.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shutdown {
		return
	}
	bg := context.Background()
	switch e.Kind {
	case grace.EventPhase:
		t.enterLocked(e.Phase, e.At, e.Trigger)
	case grace.EventStarted:
		outcome := outcomeOf(e.Err, false)
		t.stepLocked(t.start, "grace.component.start", e)
		t.startDur.Record(bg, e.Duration.Seconds(), metric.WithAttributes(AttrComponent.String(e.Component), AttrOutcome.String(outcome)))
		if e.Err == nil {
			t.running.Add(bg, 1)
		}
	case grace.EventDrained:
		t.stepLocked(t.drain, "grace.component.drain", e)
	case grace.EventStopping:
		t.stops[e.Component] = t.openStepLocked(t.stopping, "grace.component.stop", e, at(e))
	case grace.EventStopped, grace.EventAbandoned:
		abandoned := e.Kind == grace.EventAbandoned
		s, ok := t.stops[e.Component]
		if ok {
			delete(t.stops, e.Component)
		} else { // no EventStopping seen: the span is drawn back from the stop's duration
			s = t.openStepLocked(t.stopping, "grace.component.stop", e, at(e).Add(-e.Duration))
		}
		comp := AttrComponent.String(e.Component)
		if acc := e.Account; acc.Unit != "" || !acc.IsZero() {
			s.SetAttributes(AttrUnit.String(acc.Unit), AttrLost.Int64(acc.Lost), AttrHandedBack.Int64(acc.HandedBack))
			attrs := metric.WithAttributes(comp, AttrUnit.String(acc.Unit))
			t.lost.Add(bg, acc.Lost, attrs)
			t.handed.Add(bg, acc.HandedBack, attrs)
			t.accounts = true
			t.lostSum += acc.Lost
			t.handSum += acc.HandedBack
		}
		endStep(s, e)
		t.stopDur.Record(bg, e.Duration.Seconds(), metric.WithAttributes(comp, AttrOutcome.String(outcomeOf(e.Err, abandoned))))
		t.running.Add(bg, -1)
		if abandoned {
			t.forced.Add(bg, 1, metric.WithAttributes(comp, AttrForced.String("component")))
		}
		var ce grace.CutError
		if errors.As(e.Err, &ce) {
			if n, unit := ce.Cut(); n > 0 {
				t.forced.Add(bg, int64(n), metric.WithAttributes(comp, AttrForced.String(unit)))
			}
		}
	}
}

func outcomeOf(err error, abandoned bool) string {
	switch {
	case abandoned:
		return "abandoned"
	case err != nil:
		return "error"
	}
	return "ok"
}

// at returns when e happened: e.At, or now if it is unset.
func at(e grace.Event) time.Time {
	if e.At.IsZero() {
		return time.Now()
	}
	return e.At
}

// stepLocked records one component's start, drain or stop as a span under parent (a root span
// if parent is not open), from e.At less e.Duration to e.At.
func (t *Telemetry) stepLocked(parent span, name string, e grace.Event) {
	endStep(t.openStepLocked(parent, name, e, at(e).Add(-e.Duration)), e)
}

// openStepLocked opens a span for one component's step under parent (a root span if parent is
// not open), from begin. Stop spans carry the trigger.
func (t *Telemetry) openStepLocked(parent span, name string, e grace.Event, begin time.Time) trace.Span {
	ctx := context.Background()
	if parent.open() {
		ctx = parent.ctx
	}
	attrs := []attribute.KeyValue{AttrComponent.String(e.Component)}
	if e.Trigger != nil && name == "grace.component.stop" {
		attrs = append(attrs, AttrTrigger.String(e.Trigger.String()))
	}
	_, s := t.tracer.Start(ctx, name, trace.WithTimestamp(begin), trace.WithAttributes(attrs...))
	return s
}

// endStep ends a step's span at e.At, with an error status if the step failed or was abandoned.
func endStep(s trace.Span, e grace.Event) {
	switch {
	case e.Kind == grace.EventAbandoned:
		s.SetStatus(codes.Error, "abandoned: "+errText(e.Err))
	case e.Err != nil:
		s.SetStatus(codes.Error, e.Err.Error())
	}
	s.End(trace.WithTimestamp(at(e)))
}

func errText(err error) string {
	if err == nil {
		return "overran its limit"
	}
	return err.Error()
}

// enterLocked moves to phase p at time at: it records how long the previous phase lasted and
// opens and closes the phase spans. trig, if known, is set on the grace.stop span.
func (t *Telemetry) enterLocked(p grace.Phase, at time.Time, trig *grace.Trigger) {
	if p <= t.phase {
		return
	}
	if !t.phaseAt.IsZero() {
		t.phaseDur.Record(context.Background(), at.Sub(t.phaseAt).Seconds(), metric.WithAttributes(AttrPhase.String(t.phase.String())))
	}
	t.phase, t.phaseAt = p, at
	root := func(name string) span {
		ctx, s := t.tracer.Start(context.Background(), name, trace.WithTimestamp(at), trace.WithNewRoot())
		if trig != nil && name == "grace.stop" {
			s.SetAttributes(AttrTrigger.String(trig.String()))
		}
		return span{ctx, s}
	}
	child := func(parent span, name string) span {
		ctx, s := t.tracer.Start(parent.ctx, name, trace.WithTimestamp(at))
		return span{ctx, s}
	}
	switch p {
	case grace.PhaseStarting:
		t.start = root("grace.start")
	case grace.PhaseReady:
		t.start.end(at)
	case grace.PhaseDraining:
		t.start.end(at)
		t.stop = root("grace.stop")
		t.drain = child(t.stop, "grace.drain")
	case grace.PhaseDelayOver:
		if t.drain.open() {
			t.drain.span.AddEvent("drain delay over", trace.WithTimestamp(at))
		}
	case grace.PhaseStopping:
		if t.start.open() { // the start never finished: this stop is its rollback
			t.start.span.SetStatus(codes.Error, "stopped before ready")
			t.start.end(at)
		}
		t.drain.end(at)
		if !t.stop.open() {
			t.stop = root("grace.stop")
		}
		t.stopping = child(t.stop, "grace.stopping")
	}
}

// Stop ends the stop's spans, records the stopping phase so far, and shuts the tracer and meter
// providers down in parallel — each flushes what it holds to its exporter. A component stop
// still under way (the telemetry's own, another foundation's) is exported too, ended now with
// grace.outcome=unfinished. It waits until both
// are done or ctx ends (then returns ctx's cause; an exporter that cannot reach its collector
// never holds the stop beyond the component's limit). Events after Stop are not recorded. A
// second call waits for the same shutdown.
func (t *Telemetry) Stop(ctx context.Context) error {
	t.shutOnce.Do(func() {
		now := time.Now()
		t.mu.Lock()
		if !t.phaseAt.IsZero() {
			t.phaseDur.Record(context.Background(), now.Sub(t.phaseAt).Seconds(), metric.WithAttributes(AttrPhase.String(t.phase.String())))
		}
		for _, s := range t.stops {
			s.SetAttributes(AttrOutcome.String("unfinished"))
			s.AddEvent("telemetry shut down", trace.WithTimestamp(now))
			s.End(trace.WithTimestamp(now))
		}
		clear(t.stops)
		if t.accounts && t.stop.open() {
			t.stop.span.SetAttributes(AttrLost.Int64(t.lostSum), AttrHandedBack.Int64(t.handSum))
		}
		for _, s := range []*span{&t.start, &t.drain, &t.stopping, &t.stop} {
			s.end(now)
		}
		t.shutdown = true
		t.mu.Unlock()
		// The providers' shutdown gets ctx: it ends with Stop's limit, and what is not exported
		// by then is lost.
		go func() {
			var wg sync.WaitGroup
			var terr, merr error
			if t.tp != nil {
				wg.Go(func() {
					if err := t.tp.Shutdown(ctx); err != nil {
						terr = fmt.Errorf("shut down tracer provider: %w", err)
					}
				})
			}
			if t.mp != nil {
				wg.Go(func() {
					if err := t.mp.Shutdown(ctx); err != nil {
						merr = fmt.Errorf("shut down meter provider: %w", err)
					}
				})
			}
			wg.Wait()
			t.shutErr = errors.Join(terr, merr)
			close(t.shutDone)
		}()
	})
	select {
	case <-t.shutDone:
		return t.shutErr
	case <-ctx.Done():
		return fmt.Errorf("shut down providers: %w", context.Cause(ctx))
	}
}
