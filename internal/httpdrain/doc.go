// Package httpdrain holds what the drains of grace's HTTP adapters (gracefasthttp, gracehttp3,
// and gracehttp's when it adopts it) share: the settings every one of them takes (health, cut
// margin, logger, name) with their checks, the claim that settles who has an idle keep-alive
// connection once a stop has begun, and the words of the error that names the requests cut at
// the deadline. It uses the standard library and the root module only.
//
// It is internal: only code under github.com/gracekit/grace/ can import it (the adapter modules
// do, through their replace of the root module).
package httpdrain
