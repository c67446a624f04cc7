package drill

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/load"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
)

// progress writes a live progress line to w every second until stop is called. The line is
// rewritten in place with a carriage return; stop ends it with a newline.
type progress struct {
	done chan struct{}
	wg   sync.WaitGroup
}

func startProgress(w io.Writer, rec *record.Recording, gen *load.Generator, phase func() string) *progress {
	p := &progress{done: make(chan struct{})}
	if w == nil {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		line := func() {
			sent, done, failed := gen.Progress()
			fmt.Fprintf(w, "\r%6.1fs  sent %-8d ok %-8d failed %-6d in flight %-5d %-24s",
				rec.Now().Seconds(), sent, done-failed, failed, sent-done, phase())
		}
		for {
			select {
			case <-p.done:
				line()
				fmt.Fprintln(w)
				return
			case <-tick.C:
				line()
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}
