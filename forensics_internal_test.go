package grace

import (
	"strings"
	"testing"
)

const sampleProfile = `goroutine profile: total 3
1 @ 0x444cb1 0x483f9d
#	0x53e250	runtime/pprof.writeRuntimeProfile+0xb0	/usr/local/go/src/runtime/pprof/pprof.go:851

2 @ 0x56fde1 0x48bbc1
# labels: {"grace_app":"0xc000010000", "grace_component":"db", "grace_op":"stop"}
#	0x56fde0	example.com/svc.(*Pool).Close+0x20		/src/svc/pool.go:14
#	0x56fd00	github.com/gracekit/grace.safely+0x40		/src/grace/invoke.go:50
`

func TestParseGoroutineProfile(t *testing.T) {
	gs := parseGoroutineProfile(sampleProfile)
	if len(gs) != 1 {
		t.Fatalf("groups %+v, want only the labelled one", gs)
	}
	g := gs[0]
	if g.count != 2 || g.app != "0xc000010000" || g.component != "db" || g.op != "stop" {
		t.Errorf("group %+v", g)
	}
	if !strings.Contains(g.text, "example.com/svc.(*Pool).Close\n\t\t/src/svc/pool.go:14") || strings.Contains(g.text, "safely") {
		t.Errorf("frames %q: want the component's frame, not the engine's", g.text)
	}
	if got := renderGroups(gs); !strings.HasPrefix(got, "2 goroutines (db, stop):") {
		t.Errorf("rendered %q", got)
	}
}

func FuzzParseGoroutineProfile(f *testing.F) {
	f.Add(sampleProfile)
	f.Add("1 @ 0x1\n# labels: {\"grace_component\":\"x\n#\t\t\n")
	f.Add("\n\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, g := range parseGoroutineProfile(s) {
			if g.count <= 0 || g.component == "" {
				t.Fatalf("bad group %+v", g)
			}
		}
	})
}
