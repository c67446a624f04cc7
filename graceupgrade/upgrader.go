package graceupgrade

import "os"

// NamedFile is a named socket's descriptor, as [Upgrader.Files] returns it.
type NamedFile struct {
	Name string
	File *os.File
}

// Stats counts a process's upgrade attempts.
type Stats struct {
	Attempts int // upgrades begun (refused triggers are not counted)
	Failed   int // attempts whose successor failed or was stopped; the process kept serving
	// Successor is the PID of the process this one handed over to, or 0.
	Successor int
}
