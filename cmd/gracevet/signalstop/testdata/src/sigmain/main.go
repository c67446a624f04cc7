package main

import (
	"os"
	"os/signal"
	"time"
)

// Look-alike: main.main's registrations live exactly as long as the process.
func main() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	select {
	case <-ch:
	case <-time.After(time.Second):
	}
}
