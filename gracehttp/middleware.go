package gracehttp

import (
	"net/http"
	"time"
)

// InFlight lists the requests running now (exempt ones aside), oldest first, up to the tracking
// table's size ([WithMaxTracked]). Ages are exact for requests that arrived while draining; for
// earlier ones they are lower bounds: the clock is not read on every request (it costs more than
// the rest of the tracking on some machines), so such an age is counted from the first clock
// reading after the request began — within 16 arrivals of its start, and never later than the
// drain's start.
func (s *Server) InFlight() []InFlightRequest { return s.flight.list() }

// serveHTTP is the tracking middleware around the user's handler.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	stopping := s.stopping.Load()
	if stopping {
		// Keep-alives are over: net/http closes the connection after this response.
		w.Header().Set("Connection", "close")
	}
	if s.health != nil && (r.URL.Path == s.cfg.livePath || r.URL.Path == s.cfg.readyPath) {
		s.health.ServeHTTP(w, r)
		return
	}
	if s.cfg.exempt(r) {
		s.handler.ServeHTTP(w, r)
		return
	}
	if r.ProtoMajor == 2 {
		// Go's HTTP/2 server reports a connection idle when its last stream closes, before the
		// stream's last frames are written: such connections are closed only after the linger.
		if c, ok := r.Context().Value(connKey{}).(*trackedConn); ok && c != nil {
			c.flags.Or(connH2)
		}
	}
	if stopping {
		// An idle keep-alive connection may be closed by the stop just as a request is read on
		// it: either the request claims the connection and is served (the stop leaves the
		// connection to close after the response), or the stop claimed it first and the request
		// is not run at all and gets no response — never a handler that runs and whose response
		// cannot be sent.
		if c, ok := r.Context().Value(connKey{}).(*trackedConn); ok && c != nil {
			if !c.claim.ForRequest() {
				// Returning would let net/http answer an empty 200 on the connection before the
				// stop closes it: a success for work never done. Abort instead: net/http closes
				// the connection with no response, and the client knows it failed.
				panic(http.ErrAbortHandler)
			}
			defer c.claim.Release()
		}
	}
	now := int64(-1)
	if s.draining.Load() {
		now = int64(time.Since(s.flight.epoch))
		if s.whileDraining(w, now) {
			return
		}
	}
	idx := s.flight.begin(r, now)
	defer s.requestEnded(idx, r)
	s.handler.ServeHTTP(w, r)
}

// Bits of Server.ending.
const (
	endCut     uint32 = 1 << iota // the hard stop has cancelled the request contexts
	endHijacks                    // a connection was hijacked: requests look for theirs
)

// requestEnded ends a request's tracking; one load decides that there is nothing else to do.
func (s *Server) requestEnded(idx int, r *http.Request) {
	if f := s.ending.Load(); f != 0 {
		s.endAccounted(f, r)
	}
	s.flight.end(idx)
}

// endAccounted counts a request that ends after the hard stop as cut, and marks a hijacked
// connection whose handler returned uncut as the server's to account for.
func (s *Server) endAccounted(f uint32, r *http.Request) {
	if f&endCut != 0 {
		s.cutEnded.Add(1)
		return
	}
	if c, ok := r.Context().Value(connKey{}).(*trackedConn); ok && c != nil &&
		c.connState() == http.StateHijacked {
		c.flags.Or(connDetached)
	}
}
