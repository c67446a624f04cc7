package load

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]Target{
		"GET /":                      {Weight: 1, Method: "GET", Path: "/"},
		"9:GET /items?id=1":          {Weight: 9, Method: "GET", Path: "/items?id=1"},
		`2:POST /orders {"id": 1}`:   {Weight: 2, Method: "POST", Path: "/orders", Body: []byte(`{"id": 1}`)},
		"  1: DELETE /x  ":           {Weight: 1, Method: "DELETE", Path: "/x"},
		"GET /slow?ms=300 some body": {Weight: 1, Method: "GET", Path: "/slow?ms=300", Body: []byte("some body")},
	} {
		got, err := ParseTarget(in)
		if err != nil || got.String() != want.String() {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":           "want",
		"get /":      "upper-case",
		"GET":        "want",
		"GET x":      "must start with /",
		"0:GET /":    "weight",
		"5000:GET /": "weight",
		"x:GET /":    "weight",
	} {
		if _, err := ParseTarget(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseTarget(%q) error %v, want one containing %q", in, err, msg)
		}
	}
}

func TestScheduleSpreadsByWeight(t *testing.T) {
	got := schedule([]Target{{Weight: 3}, {Weight: 1}})
	if len(got) != 4 {
		t.Fatalf("schedule length %d, want 4", len(got))
	}
	count := map[int]int{}
	for i, g := range got {
		count[g]++
		if i > 0 && g == 1 && got[i-1] == 1 {
			t.Errorf("schedule %v bunches the light target", got)
		}
	}
	if count[0] != 3 || count[1] != 1 {
		t.Errorf("schedule %v, want 3 of target 0 and 1 of target 1", got)
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"GET /", "9:GET /a?b=c", `1:POST /o {"a":1}`, ":", "1:", "GET  /", "\x00", "7:PUT /x y z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		if tg.Weight < 1 || tg.Weight > MaxWeight || !strings.HasPrefix(tg.Path, "/") || tg.Method == "" {
			t.Fatalf("ParseTarget(%q) accepted %+v", s, tg)
		}
		again, err := ParseTarget(tg.String())
		if err != nil || again.String() != tg.String() {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", s, again, err, tg)
		}
		if n := len(schedule([]Target{tg, {Weight: 2, Method: "GET", Path: "/"}})); n != tg.Weight+2 {
			t.Fatalf("schedule length %d, want %d", n, tg.Weight+2)
		}
	})
}
