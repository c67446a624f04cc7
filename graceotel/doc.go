// Package graceotel records a grace app's lifecycle in OpenTelemetry and shuts the tracer and
// meter providers down last, so the stop itself — every component's stop, the ones abandoned,
// what was cut — is exported.
//
// Wire it in two lines: build the providers, and add the telemetry to the app as a foundation
// with grace.StopsLast, so that it starts before every other component and stops after them all,
// wherever it is added and whatever they declare. A [Telemetry] is a grace.Observer: the app
// gives it every event of the run, no grace.WithObserver needed:
//
//	tel, err := graceotel.New(tp, mp)
//	app.Add("telemetry", tel, grace.StopsLast())
//
// Observers add up: gracesystemd's Notifier, say, observes the same app as a component of its
// own. Foundations stop alongside one another, so a component stop still under
// way when the telemetry shuts down — another foundation's, and the telemetry's own — is
// exported as unfinished.
//
// # Traces
//
// Two traces per run: "grace.start" (from the start to ready, a child span per component start)
// and "grace.stop" (from the first phase of the stop to the telemetry's own stop, with a
// "grace.drain" span over the drain and a "grace.stopping" span over the stopping phase, a child
// span per component drain and stop). A component's stop span runs from its turn to stop
// (grace.EventStopping) to its end. "grace.stop" and the component stop spans carry
// grace.trigger, what started the stop ("signal terminated", "stop (deploy)", "failure of db:
// ..."). A failed or abandoned step has an error status.
//
// # Metrics
//
//   - grace.phase.duration (histogram, s; grace.phase): how long each phase lasted.
//   - grace.component.start.duration, grace.component.stop.duration (histograms, s;
//     grace.component, grace.outcome = ok | error | abandoned).
//   - grace.components.running (up-down counter): components started and not yet stopped —
//     during the stop, the stops still in flight.
//   - grace.in_flight (gauge; grace.component): work in flight that components report through
//     [Telemetry.ObserveInFlight], such as HTTP requests or messages.
//   - grace.forced_closes (counter; grace.component, grace.forced = component | the unit cut):
//     components abandoned at their limit (grace.forced=component), and what components had to
//     cut at their deadline, read from stop errors that are a grace.CutError (every adapter's
//     cut error is: gracehttp's requests, gracegrpc's rpcs, the pools' connections, ...), with
//     grace.forced set to the unit it names.
//   - grace.lost and grace.handed_back (counters, {unit}; grace.component, grace.unit): the
//     units of accepted work each component that keeps an account (grace.Accounter: gracehttp's
//     requests, gracegrpc's rpcs, the pools' connections, ...) lost at its stop, and handed back
//     for redelivery — as the component's EventStopped or EventAbandoned carries them. Every
//     such component gets a data point, zero included; the app's total is their sum over
//     grace.component. An abandoned component's figures are those at the moment it was
//     abandoned: what it loses after that, the report shows, but the telemetry may have shut
//     down by then.
//
// A component's stop span carries its account as grace.unit, grace.lost and grace.handed_back,
// and grace.stop carries the totals as grace.lost and grace.handed_back.
package graceotel
