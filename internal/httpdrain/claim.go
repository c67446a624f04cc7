package httpdrain

import "sync/atomic"

// Claim settles, once a server's stop has begun, who has an idle keep-alive connection: a request
// just read on it, or the stop closing it as idle. Exactly one of them wins, so a request is
// either served on an open connection or not run at all — never run with its response bound for
// a connection the stop closed. The zero value is unclaimed. A Claim is safe for concurrent use.
type Claim struct {
	v atomic.Int32
}

const (
	unclaimed int32 = iota
	byRequest
	byClose
)

// ForRequest claims the connection for a request read on it while the server stops. It reports
// false when the stop has claimed it first: the request must not run, and the connection is to
// be closed without a response. A request that won gives its claim back with [Claim.Release]
// once it is done.
func (c *Claim) ForRequest() bool { return c.v.CompareAndSwap(unclaimed, byRequest) }

// Release gives a request's claim back, so that the stop may close the connection once it is
// idle again. It does nothing unless a request holds the claim.
func (c *Claim) Release() { c.v.CompareAndSwap(byRequest, unclaimed) }

// ForClose claims the connection for the stop, which closes it as idle. It reports false while a
// request holds it: that connection is closed once it turns idle again. Once the stop holds the
// claim, it keeps it.
func (c *Claim) ForClose() bool { return c.v.CompareAndSwap(unclaimed, byClose) }
