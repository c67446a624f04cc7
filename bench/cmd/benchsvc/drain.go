package main

import (
	"fmt"
	"sync/atomic"
	"time"
)

// lastEnd is when the last /work response was fully written; drainTail prints the time from
// then to now, called right after a style's server stop returned: the "drain tail".
var lastEnd atomic.Int64

func drainTail(out *output) {
	if end := lastEnd.Load(); end > 0 {
		out.say(fmt.Sprintf("drain-tail %d", time.Now().UnixNano()-end))
	}
}
