package gracehttp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
)

// A cut error names the first ten requests it lists, oldest first, and counts the others —
// listed or not (the tracking table may hold fewer than were cut).
func TestCutErrorNamesTenAndCountsTheRest(t *testing.T) {
	var listed []gracehttp.InFlightRequest
	for i := range 12 {
		listed = append(listed, gracehttp.InFlightRequest{Method: "GET", Route: fmt.Sprintf("/r%d", i), Age: time.Duration(12-i) * time.Second})
	}
	for _, tc := range []struct {
		total  int
		listed []gracehttp.InFlightRequest
		want   string
	}{
		{1, listed[:1], "1 in-flight requests cut at the deadline: GET /r0 (12s)"},
		{12, listed, "GET /r9 (3s), and 2 more"},
		{5, listed[:2], "GET /r1 (11s), and 3 more"},
		{4, nil, "4 in-flight requests cut at the deadline"},
	} {
		got := (&gracehttp.CutError{Total: tc.total, Requests: tc.listed}).Error()
		if !strings.HasSuffix(got, tc.want) || strings.Contains(got, "/r10") {
			t.Errorf("CutError{Total: %d, %d listed} = %q, want it to end in %q", tc.total, len(tc.listed), got, tc.want)
		}
	}
}
