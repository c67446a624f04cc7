package testkit

import (
	"reflect"
	"testing"
)

// Implements fails t for each interface in ifaces that c does not implement: the check that a
// component is what its doc comment says it is. Each of ifaces is a nil pointer to the interface,
// as in
//
//	testkit.Implements(t, &Conn{}, (*grace.Starter)(nil), (*grace.Stopper)(nil))
//
// Anything else in ifaces fails t too.
func Implements(t testing.TB, c any, ifaces ...any) {
	t.Helper()
	ct := reflect.TypeOf(c)
	for _, i := range ifaces {
		it := reflect.TypeOf(i)
		if it == nil || it.Kind() != reflect.Pointer || it.Elem().Kind() != reflect.Interface {
			t.Errorf("%T: not a pointer to an interface", i)
			continue
		}
		if !ct.Implements(it.Elem()) {
			t.Errorf("%T is not a %v", c, it.Elem())
		}
	}
}
