// Package conformance holds the tests that hold every adapter of this repository to the
// vocabulary they share (issue 14): each error that says work was cut at a hard deadline
// matches grace.ErrCut and implements grace.CutError — a scan of the source finds them all, so a
// new adapter's cannot be forgotten — and no package redeclares what the root defines once. (That
// each component is the grace interfaces its documentation names is each package's own
// TestContracts, with internal/testkit's Implements.)
//
// It is a module of its own, with a replace directive to the root and to every adapter module,
// so that it can import them all; it has no code of its own besides its tests.
package conformance
