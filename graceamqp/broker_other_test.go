//go:build !unix

package graceamqp_test

// startEarly does nothing where the broker cannot be frozen (no SIGSTOP): the test that needs a
// private broker is unix-only.
func startEarly(bool) (stop func()) { return func() {} }
