package httpdrain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/httpdrain"
)

type named string

func (n named) String() string { return string(n) }

func TestCutText(t *testing.T) {
	if got, want := httpdrain.RequestName("GET", "/report", 1234567*time.Microsecond), "GET /report (1.235s)"; got != want {
		t.Errorf("RequestName: %q, want %q", got, want)
	}
	var many []named
	for i := range 12 {
		many = append(many, named(fmt.Sprint(i)))
	}
	for _, tc := range []struct {
		total int
		named []named
		want  string
	}{
		{2, []named{"a", "b"}, "2 in-flight requests cut at the deadline: a, b"},
		{5, []named{"a"}, "5 in-flight requests cut at the deadline: a, and 4 more"},
		{3, nil, "3 in-flight requests cut at the deadline"},
		{15, many, "15 in-flight requests cut at the deadline: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, and 5 more"},
	} {
		if got := httpdrain.CutText(tc.total, tc.named); got != tc.want {
			t.Errorf("CutText(%d, %d named):\n got %q\nwant %q", tc.total, len(tc.named), got, tc.want)
		}
	}
}
