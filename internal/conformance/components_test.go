package conformance_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceetcd"
	"github.com/gracekit/grace/gracegrpc"
	"github.com/gracekit/grace/graceotel"
	"github.com/gracekit/grace/gracepgx"
	"github.com/gracekit/grace/graceredis"
	"github.com/gracekit/grace/gracesql"
	"github.com/gracekit/grace/gracesystemd"
)

// components are the adapters' components with the grace interfaces their documentation says
// each one implements (a nil pointer of each: only its methods count).
var components = []struct {
	c    any
	says string
}{
	{(*gracepgx.Pool)(nil), "Validator Starter Stopper Accounter"},
	{(*graceredis.Client)(nil), "Validator Starter Stopper Accounter"},
	{(*gracesql.DB)(nil), "Validator Starter Stopper Accounter"},
	{(*gracegrpc.Server)(nil), "Validator Starter Runner Drainer Quieter Stopper Accounter"},
	{(*graceetcd.Registration)(nil), "Validator Starter Runner Drainer Stopper"},
	{(*gracesystemd.Notifier)(nil), "Validator Runner Observer"},
	{(*graceotel.Telemetry)(nil), "Observer Stopper"},
}

// interfaces are the grace interfaces a component can be, found by name.
var interfaces = []reflect.Type{reflect.TypeFor[grace.Validator](), reflect.TypeFor[grace.Starter](), reflect.TypeFor[grace.Runner](), reflect.TypeFor[grace.Drainer](), reflect.TypeFor[grace.Quieter](), reflect.TypeFor[grace.Stopper](), reflect.TypeFor[grace.Accounter](), reflect.TypeFor[grace.Observer]()}

// TestComponentsAreWhatTheirDocsSay: each component implements every grace interface its
// documentation names — a method renamed by mistake would silently make the engine skip it.
func TestComponentsAreWhatTheirDocsSay(t *testing.T) {
	for _, c := range components {
		for _, name := range strings.Fields(c.says) {
			i := slices.IndexFunc(interfaces, func(it reflect.Type) bool { return it.Name() == name })
			if i < 0 {
				t.Fatalf("no grace interface %q", name)
			}
			if !reflect.TypeOf(c.c).Implements(interfaces[i]) {
				t.Errorf("%T is not a grace.%s", c.c, name)
			}
		}
	}
}
