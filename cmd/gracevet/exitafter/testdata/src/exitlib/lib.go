package exitlib

import (
	"fmt"
	"os"
	"os/signal"
)

// Positive: os.Exit in library code.
func MustLoad(path string) []byte { // want MustLoad:"may exit: os.Exit at lib.go:14"
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1) // want `os.Exit outside package main ends the process behind its callers' backs, skipping their defers and shutdown: return an error instead`
	}
	return b
}

// Look-alike: an entry point that a main calls.
func Main() { // want Main:"may exit"
	os.Exit(run())
}

func run() int { return 0 }

// Look-alike: a forced exit on a second signal is what the user asked for.
func Trap(shutdown func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	go func() {
		<-ch
		go shutdown()
		<-ch
		os.Exit(1)
	}()
}

// Look-alike: the program's own exit helper exits on purpose; its callers are checked.
func Fatalf(format string, args ...any) { // want Fatalf:"may exit"
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// Look-alike: an exit hook kept replaceable for tests.
var exit = func(code int) { os.Exit(code) }
