// Package gracefx runs uber-go/fx applications (go.uber.org/fx) under grace's engine, both ways.
//
// [Module] is an fx.Option that gives an fx app's lifecycle to a grace App: each hook that a
// constructor appends to the fx.Lifecycle becomes a grace component, named after the constructor.
// Providers stay as they are; main builds the fx app with fx.New and runs the grace App instead of
// the fx app. The hooks then get what fx's lifecycle lacks: the signal ladder, a drain delay with
// readiness false while everything still serves, a limit per hook so that a hung OnStop is
// abandoned and named while the other hooks still run (fx runs its stop hooks one at a time
// under one shared deadline, and a hung one skips the rest), stop hooks that run even when the
// start timed out (fx #1035), a report naming each hook, and an exit code.
//
// [Component] is the other way: a whole fx app as one grace component, beside others, for a
// program moving over. fx's own rules then hold inside it.
package gracefx
