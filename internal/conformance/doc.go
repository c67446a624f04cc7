// Package conformance holds the tests that hold every adapter of this repository to the
// vocabulary they share (issue 14): each error that says work was cut at a hard deadline
// matches grace.ErrCut and implements grace.CutError, no package redeclares what the root
// defines once, and each component is the grace interfaces its documentation says it is.
//
// It is a module of its own, with a replace directive to the root and to every adapter module,
// so that it can import them all; it has no code of its own besides its tests.
package conformance
