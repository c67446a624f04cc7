// Package testkit is the test plumbing that grace's own packages and adapter modules share: the
// test services' addresses from the environment, an app run in the background with bounded
// waits, waits on events with deadlines, and loopback network parts — a port where nothing
// listens, a listener that reports its close, and a TCP proxy that can play a network partition;
// for the message-queue consumers, a ledger of the records handled run by run (duplicates
// counted) with the stop-and-restart loops that fill it — in this process, under a test's signal
// source (RunSignalled), or in the test binary run again as a child process and sent real signals
// (StartChild).
//
// It is internal: only code under github.com/gracekit/grace/ can import it (the adapter modules
// do, through their replace of the root module). It uses the standard library only.
//
// Every helper that waits has a deadline and fails the test when it passes; none skips a test:
// a test that needs a daemon fails without it, in CI (CI=true) as anywhere else.
package testkit
