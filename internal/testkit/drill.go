package testkit

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// DrillReport is the part of gracedrill's --json report that tests read.
type DrillReport struct {
	Requests     int            `json:"requests"`
	Failed       int            `json:"failed"`
	FailedByKind map[string]int `json:"failed_by_kind"`
	Behind       bool           `json:"behind"` // the drill could not send at the asked rate
	Stops        []DrillStop    `json:"stops"`
	Reasons      []string       `json:"reasons"`
}

// DrillStop is how one instance gracedrill stopped ended.
type DrillStop struct {
	ExitCode *int `json:"exit_code"` // nil when it did not exit on its own
	Killed   bool `json:"killed"`
}

// drillBuilds holds the gracedrill binaries built by this process, by source directory.
var drillBuilds struct {
	sync.Mutex
	paths map[string]string
}

// Gracedrill builds the gracedrill command in dir (relative to the test's package, as
// "../cmd/gracedrill"), once per test process, and returns the binary's path. The binary lives
// in the system's temporary directory, named for this process.
func Gracedrill(tb testing.TB, dir string) string {
	tb.Helper()
	drillBuilds.Lock()
	defer drillBuilds.Unlock()
	if path, ok := drillBuilds.paths[dir]; ok {
		return path
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("gracedrill-%d-%d", os.Getpid(), len(drillBuilds.paths)))
	build := exec.Command("go", "build", "-o", path, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build gracedrill in %s: %v\n%s", dir, err, out)
	}
	if drillBuilds.paths == nil {
		drillBuilds.paths = map[string]string{}
	}
	drillBuilds.paths[dir] = path
	return path
}

// Drill runs the gracedrill binary drill with the subcommand sub and args (--json and --quiet
// are added), its environment extended with env, and returns its report. It fails tb if
// gracedrill wrote none, naming its output; a drill whose verdict is a failure still returns its
// report.
func Drill(tb testing.TB, drill string, env []string, sub string, args ...string) DrillReport {
	tb.Helper()
	jsonPath := filepath.Join(tb.TempDir(), "drill.json")
	cmd := exec.Command(drill, append([]string{sub, "--json", jsonPath, "--quiet"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	raw, rerr := os.ReadFile(jsonPath)
	if rerr != nil {
		tb.Fatalf("gracedrill wrote no JSON (%v): %v\n%s", rerr, err, out)
	}
	var r DrillReport
	if err := json.Unmarshal(raw, &r); err != nil {
		tb.Fatalf("gracedrill's JSON: %v\n%s", err, raw)
	}
	return r
}
