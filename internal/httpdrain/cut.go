package httpdrain

import (
	"fmt"
	"strings"
	"time"
)

// MaxNamed is how many requests a cut error's text names; it counts the rest.
const MaxNamed = 10

// RequestName is how a request cut at the deadline is named: method, path and age ("GET /report
// (1.2s)"), the age rounded to the millisecond.
func RequestName(method, path string, age time.Duration) string {
	return method + " " + path + " (" + age.Round(time.Millisecond).String() + ")"
}

// CutText is the text of the error that says total requests were cut at a stop's deadline. It
// names the first [MaxNamed] of named (in the order given: oldest first, by the adapters'
// convention) and counts the others, named or not, as "and N more".
func CutText[R fmt.Stringer](total int, named []R) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d in-flight requests cut at the deadline", total)
	shown := named[:min(len(named), MaxNamed)]
	for i, r := range shown {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		b.WriteString(sep + r.String())
	}
	if rest := total - len(shown); rest > 0 && len(shown) > 0 {
		fmt.Fprintf(&b, ", and %d more", rest)
	}
	return b.String()
}
