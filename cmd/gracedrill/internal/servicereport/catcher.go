package servicereport

import (
	"bytes"
	"sync"
)

// maxLine bounds one kept line (a report with goroutine stacks can be long) and the partial
// line buffered between writes; longer lines are dropped.
const maxLine = 4 << 20

// Catcher is an io.Writer for a service's output that keeps the lines carrying a shutdown
// report, so the drill reads the service's own word without storing all of its output. Safe
// for concurrent use.
type Catcher struct {
	mu      sync.Mutex
	partial []byte
	over    bool // the current line grew past maxLine: drop it
	kept    []byte
}

// Write scans p for complete lines and keeps those mentioning a shutdown report. It never fails.
func (c *Catcher) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			c.add(rest)
			break
		}
		c.add(rest[:i])
		if !c.over && bytes.Contains(c.partial, []byte(marker)) && len(c.kept) < maxLine {
			c.kept = append(append(c.kept, c.partial...), '\n')
		}
		c.partial, c.over = c.partial[:0], false
		rest = rest[i+1:]
	}
	return len(p), nil
}

func (c *Catcher) add(b []byte) {
	if c.over {
		return
	}
	if len(c.partial)+len(b) > maxLine {
		c.partial, c.over = c.partial[:0], true
		return
	}
	c.partial = append(c.partial, b...)
}

// Reports parses the kept lines, and a last line not ended by a newline.
func (c *Catcher) Reports() []Report {
	c.mu.Lock()
	b := append(bytes.Clone(c.kept), c.partial...)
	c.mu.Unlock()
	return Parse(b)
}
