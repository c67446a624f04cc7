// Goroutines started once from main live as long as the process.
package main

import (
	"time"

	"helpers"
)

var events = make(chan int)

func main() {
	go helpers.Poll(time.Second)
	go helpers.Drain(events)
	startBackground()
	for i := 0; i < 3; i++ {
		perRequest()
	}
}

// Look-alike: called once, from main.
func startBackground() {
	go func() {
		for range time.Tick(time.Second) {
		}
	}()
}

// Positive: started again and again.
func perRequest() {
	go func() {
		for range time.Tick(time.Second) { // want `goroutine ranges over time.Tick\(\)`
		}
	}()
}
