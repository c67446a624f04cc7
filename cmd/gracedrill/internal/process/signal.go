package process

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// ParseSignal reads a signal name such as "TERM", "SIGTERM", "int" or "HUP".
func ParseSignal(name string) (os.Signal, error) {
	n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "SIG")
	table := signals()
	if s, ok := table[n]; ok {
		return s, nil
	}
	names := make([]string, 0, len(table))
	for k := range table {
		names = append(names, k)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown signal %q (want one of %s)", name, strings.Join(names, ", "))
}
