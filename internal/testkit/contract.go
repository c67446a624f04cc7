package testkit

import (
	"testing"

	"github.com/gracekit/grace"
)

// Implements fails t for each of the engine's interfaces named in ifaces — "Starter", "Runner",
// "Drainer", "Stopper", "Accounter", "Validator", "Observer" — that c does not implement: the
// check that a component is what its doc comment says it is. An unknown name fails t too.
func Implements(t testing.TB, c any, ifaces ...string) {
	t.Helper()
	for _, name := range ifaces {
		var ok bool
		switch name {
		case "Starter":
			_, ok = c.(grace.Starter)
		case "Runner":
			_, ok = c.(grace.Runner)
		case "Drainer":
			_, ok = c.(grace.Drainer)
		case "Stopper":
			_, ok = c.(grace.Stopper)
		case "Accounter":
			_, ok = c.(grace.Accounter)
		case "Validator":
			_, ok = c.(grace.Validator)
		case "Observer":
			_, ok = c.(grace.Observer)
		default:
			t.Errorf("%T: no engine interface called %q", c, name)
			continue
		}
		if !ok {
			t.Errorf("%T is not a grace.%s", c, name)
		}
	}
}
