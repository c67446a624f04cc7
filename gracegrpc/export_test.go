package gracegrpc

// CallsInFlight counts the RPCs whose handlers have not returned yet.
func CallsInFlight(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}
