// Package gracetest helps test code that runs on grace: a fake signal source, a recorder of
// start and stop order, a component that hangs on demand, and a goroutine-leak check.
//
// For deterministic time, run the test in a testing/synctest bubble (synctest.Test): every
// timer, deadline and sleep in the bubble — the engine's budgets and drain delay, and your
// components' own — runs on a fake clock that jumps ahead whenever every goroutine is blocked,
// so a 25 s budget takes no real time and the order of events is exact. That covers more than an
// injected clock could, since it also reaches the timers inside your components and their SDKs.
package gracetest
