//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// upgradeRun is one "gracedrill upgrade" run of the built binary, as a separate process: the
// drill makes itself the reaper of the service's successors, which must not touch the tests.
type upgradeRun struct {
	code   int
	out    string
	report upgradeReport
}

func buildUpgradeTools(t *testing.T) (drill, example string) {
	t.Helper()
	dir := t.TempDir()
	drill, example = filepath.Join(dir, "gracedrill"), filepath.Join(dir, "upgrade-example")
	for _, b := range [][]string{{"build", "-o", drill, "."}, {"build", "-o", example, "github.com/gracekit/grace/examples/upgrade"}} {
		if out, err := exec.Command("go", b...).CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(b, " "), err, out)
		}
	}
	return drill, example
}

func runUpgradeDrill(t *testing.T, drill string, args ...string) upgradeRun {
	t.Helper()
	var res upgradeRun
	for attempt := 0; attempt < 3; attempt++ {
		jsonPath := filepath.Join(t.TempDir(), "report.json")
		full := append([]string{"upgrade", "--quiet", "--json", jsonPath}, args...)
		cmd := exec.Command(drill, full...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		res = upgradeRun{code: cmd.ProcessState.ExitCode(), out: out.String()}
		if err != nil && res.code < 0 {
			t.Fatalf("gracedrill: %v\n%s", err, out.String())
		}
		if b, err := os.ReadFile(jsonPath); err == nil {
			if err := json.Unmarshal(b, &res.report); err != nil {
				t.Fatalf("json report: %v\n%s", err, b)
			}
		}
		t.Logf("gracedrill %s → exit %d\n%s", strings.Join(full, " "), res.code, res.out)
		if !res.report.Behind {
			break
		}
		t.Logf("the drill fell behind the asked rate (the machine is busy); running it again")
	}
	return res
}

// TestUpgradeDrill: the stateless example through upgrades under load, one of which fails
// (its successor exits, or never becomes ready): nothing lost, the old process goes on serving,
// exit 0. A service that does not upgrade (SIGHUP kills it) fails the drill.
func TestUpgradeDrill(t *testing.T) {
	drill, example := buildUpgradeTools(t)
	for _, how := range []string{failExit, failHang} {
		t.Run("fail-"+how, func(t *testing.T) {
			html := filepath.Join(t.TempDir(), "report.html")
			res := runUpgradeDrill(t, drill, "--url", freeURL(t), "--rate", "400", "--upgrades", "3", "--fail", "2",
				"--fail-how", how, "--every", "200ms", "--warmup", "300ms", "--after", "300ms", "--html", html,
				"--", example, "-addr", "127.0.0.1:{port}", "-ready-timeout", "2s", "-start-delay", "50ms")
			if res.code != 0 || res.report.Failed != 0 || res.report.Verdict != "pass" {
				t.Fatalf("exit %d, %d failed, verdict %s: %v", res.code, res.report.Failed, res.report.Verdict, res.report.Reasons)
			}
			want := []string{"ready", "failed", "ready"}
			if len(res.report.Upgrades) != 3 {
				t.Fatalf("upgrades: %+v", res.report.Upgrades)
			}
			for i, u := range res.report.Upgrades {
				if u.Outcome != want[i] {
					t.Errorf("upgrade %d: %s, want %s", i+1, u.Outcome, want[i])
				}
				if u.Outcome == "ready" && (u.ReadyMS == nil || u.GoneMS == nil || *u.GoneMS < *u.ReadyMS || u.ExitCode == nil || *u.ExitCode != 0) {
					t.Errorf("upgrade %d: times or exit missing: %+v", i+1, u)
				}
			}
			// The failed upgrade left its parent serving: the next upgrade starts from it.
			if u := res.report.Upgrades; u[2].Parent != u[1].Parent || u[1].Parent != u[0].Successor {
				t.Errorf("PIDs do not chain: %+v", u)
			}
			page, err := os.ReadFile(html)
			if err != nil {
				t.Fatal(err)
			}
			for _, mark := range []string{`"name":"upgrade signal"`, `"name":"successor ready"`, `"name":"parent gone"`, `"name":"upgrade failed"`} {
				if !strings.Contains(string(page), mark) {
					t.Errorf("HTML timeline lacks %s", mark)
				}
			}
		})
	}
	t.Run("no-upgrade-support", func(t *testing.T) {
		res := runUpgradeDrill(t, drill, append([]string{"--url", freeURL(t), "--rate", "200", "--upgrades", "1",
			"--warmup", "300ms", "--after", "200ms"}, testServerCmd(t, "naive")...)...)
		if res.code != 1 || !strings.Contains(strings.Join(res.report.Reasons, "\n"), "no successor ready") {
			t.Errorf("exit %d, reasons %q", res.code, res.report.Reasons)
		}
	})
}

// TestUpgradeDrillBadUsage: bad flags are named and exit 2.
func TestUpgradeDrillBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--fail", "4", "--upgrades", "3", "--", "x"},
		{"--fail-how", "explode", "--", "x"},
		{"--rate", "0", "--", "x"},
		{"--url", "ftp://x:1", "--", "x"},
		{"--upgrades", "2"},
	} {
		var out bytes.Buffer
		if code := runUpgrade(context.Background(), args, &out, &out); code != exitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", args, code, exitUsage, out.String())
		}
		if !strings.Contains(out.String(), "gracedrill upgrade:") {
			t.Errorf("%q: no message: %s", args, out.String())
		}
	}
}
