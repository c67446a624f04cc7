package graceotel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gracekit/grace"
)

// StopsLast checks that the component called name stops after every other component of plan
// (from grace's App.Plan): that each of them depends on it, directly or through others. If not,
// the error names the components that may still be stopping when it shuts the providers down,
// whose stops would then not be exported. Call it in a test of your app's wiring.
func StopsLast(plan *grace.Plan, name string) error {
	dependents := map[string][]string{}
	found := false
	for _, wave := range plan.Stop {
		for _, s := range wave {
			dependents[s.Name] = s.Dependents
			found = found || s.Name == name
		}
	}
	if !found {
		return fmt.Errorf("graceotel: no component %q in the plan", name)
	}
	// Everything that stops before name: its dependents, transitively.
	before := map[string]bool{}
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range dependents[n] {
			if !before[d] {
				before[d] = true
				queue = append(queue, d)
			}
		}
	}
	var missing []string
	for n := range dependents {
		if n != name && !before[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("graceotel: %q does not stop after %s: add it first, or name it in their DependsOn",
			name, strings.Join(missing, ", "))
	}
	return nil
}
