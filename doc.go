// Package grace runs a Go service's components — servers, workers, consumers, pools, clients —
// so that the service starts in order and stops without losing a request, a message or a row.
//
// An [App] holds named components. Each implements one or more one-method interfaces
// ([Starter], [Stopper], [Runner], [Drainer], [Quieter]); [Hook], [RunFunc], [StopFunc],
// [Closer], [Ticker] and [Consume] make components of plain functions. Components declare what
// they use with [DependsOn]; without a declaration a component depends on everything added
// before it, so registration order is a safe default and declared dependencies buy parallelism.
//
// # Phases
//
// [App.Run] moves through the phases of [Phase]: starting, ready, draining (readiness false,
// still serving, Drainers run, the drain delay passes), delay over, stopping (reverse
// dependency order, independent components in parallel), stopped. Health handlers read
// [App.Ready] and [App.Live]; [App.Await] waits for a phase.
//
// # Budgets
//
// One budget ([WithBudget], default [DefaultBudget], sized for Kubernetes' 30 s grace period)
// bounds the whole stop from the trigger on, drain delay included. [StopTimeout] limits one
// component within it. A component that overruns is abandoned and named in the [Report] with
// the stacks of its goroutines; everything it does not depend on still stops, and so do its
// dependencies, so pools and clients are always closed.
//
// # Signals
//
// SIGTERM and SIGINT by default ([WithSignals]). The first starts the graceful stop; the second
// skips what is left of the drain delay and cuts the budget ([WithEscalatedBudget]); the third
// makes Run return at once with [ExitForced] and a goroutine dump. Handling is restored when
// Run returns; [App.Main] keeps it until the process exits.
//
// # What grace is not
//
// Not a dependency-injection framework: you build your objects; grace only runs them. Not a
// process supervisor: it runs inside one process and exits with a code that tells your
// supervisor (Kubernetes, systemd) what happened.
package grace
