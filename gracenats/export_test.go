package gracenats

// IsStopping reports whether c's Stop has been called: tests wait for it before they let a
// handler finish, so the stop lands with a message in hand.
func IsStopping(c *Consumer) bool { return c.isStopping() }
