package graceamqp

import "context"

// bounded calls f and waits for it until ctx ends, then returns ctx's cause. amqp091-go's
// synchronous calls (channel open, cancel, close) wait for the broker's answer with no deadline
// of their own; a call given up on here returns once the connection is closed — at the latest
// when [Conn] closes it at its deadline, which cuts the socket.
func bounded(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
