// Package chans has what the packages of this repository do with a channel closed once to
// signal an event (a stop asked for, a cut point reached, a process ended).
//
// The package belongs to the root module; Go's internal rule goes by import path, so every
// module of this repository can import it.
package chans

// Closed reports whether ch is closed, without waiting: whether the event it signals happened.
// A nil channel is never closed.
func Closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
