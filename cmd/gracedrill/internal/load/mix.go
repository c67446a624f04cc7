package load

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Target is one kind of request in the mix.
type Target struct {
	Weight int    // relative share of the mix, at least 1
	Method string // HTTP method
	Path   string // path and query, starting with "/"
	Body   []byte // request body, may be empty
}

// String returns the target in the syntax ParseTarget reads.
func (t Target) String() string {
	s := fmt.Sprintf("%d:%s %s", t.Weight, t.Method, t.Path)
	if len(t.Body) > 0 {
		s += " " + string(t.Body)
	}
	return s
}

// MaxWeight bounds a target's weight so a mix stays small in memory.
const MaxWeight = 1000

// ParseTarget reads "[WEIGHT:]METHOD PATH[ BODY]", for example "GET /", "9:GET /items?id=1" or
// "1:POST /orders {"id":1}". The body is everything after the path's following space.
func ParseTarget(s string) (Target, error) {
	t := Target{Weight: 1}
	rest := strings.TrimSpace(s)
	if w, after, ok := strings.Cut(rest, ":"); ok && w != "" && !strings.ContainsAny(w, " /") {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > MaxWeight {
			return Target{}, fmt.Errorf("request %q: weight %q is not a whole number from 1 to %d", s, w, MaxWeight)
		}
		t.Weight, rest = n, strings.TrimLeft(after, " ")
	}
	method, rest, ok := strings.Cut(rest, " ")
	if !ok || method == "" {
		return Target{}, fmt.Errorf("request %q: want \"[WEIGHT:]METHOD PATH[ BODY]\", e.g. \"9:GET /\"", s)
	}
	for _, r := range method {
		if r < 'A' || r > 'Z' {
			return Target{}, fmt.Errorf("request %q: method %q must be upper-case letters like GET", s, method)
		}
	}
	path, body, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if !strings.HasPrefix(path, "/") {
		return Target{}, fmt.Errorf("request %q: path %q must start with /", s, path)
	}
	if _, err := http.NewRequest(method, "http://127.0.0.1"+path, nil); err != nil {
		return Target{}, fmt.Errorf("request %q: %w", s, errors.Unwrap(err))
	}
	t.Method, t.Path = method, path
	if body != "" {
		t.Body = []byte(body)
	}
	return t, nil
}

// schedule spreads the targets by weight into a cycle: index i of the cycle is request i's target
// (mod the cycle's length). Interleaving keeps slow requests spread out instead of bunched.
func schedule(targets []Target) []int {
	total := 0
	for _, t := range targets {
		total += t.Weight
	}
	out := make([]int, 0, total)
	used := make([]int, len(targets))
	for len(out) < total {
		// smooth weighted round-robin: pick the target furthest behind its share
		best, bestScore := -1, 0.0
		for i, t := range targets {
			if used[i] >= t.Weight {
				continue
			}
			score := float64(len(out)+1)*float64(t.Weight)/float64(total) - float64(used[i])
			if best < 0 || score > bestScore {
				best, bestScore = i, score
			}
		}
		used[best]++
		out = append(out, best)
	}
	return out
}
