package graceupgrade

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gracekit/grace/internal/sdnotify"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseEnv(t *testing.T) {
	const pid, ppid = 100, 50
	cases := []struct {
		name    string
		getenv  func(string) string
		want    inherited
		wantErr string
	}{
		{name: "nothing", getenv: env()},
		{name: "systemd", getenv: env(envListenPID, "100", envListenFDs, "2", envListenFDNames, "web:admin"),
			want: inherited{names: []string{"web", "admin"}, fds: []int{3, 4}}},
		{name: "systemd without names", getenv: env(envListenPID, "100", envListenFDs, "2"),
			want: inherited{names: []string{"unknown", "unknown"}, fds: []int{3, 4}}},
		{name: "systemd, for another process", getenv: env(envListenPID, "7", envListenFDs, "2")},
		{name: "parent", getenv: env(EnvPPID, "50", EnvFDs, "1", EnvFDNames, "http", EnvMode, "sequential"),
			want: inherited{names: []string{"http"}, fds: []int{5}, successor: true, ppid: 50, mode: "sequential"}},
		{name: "parent's variables leaked to a grandchild", getenv: env(EnvPPID, "49", EnvFDs, "1", EnvFDNames, "http", EnvMode, "overlap")},
		{name: "parent wins over systemd", getenv: env(EnvPPID, "50", EnvFDs, "0", EnvFDNames, "", EnvMode, "overlap", envListenPID, "100", envListenFDs, "1"),
			want: inherited{successor: true, ppid: 50, mode: "overlap"}},
		{name: "count not a number", getenv: env(envListenPID, "100", envListenFDs, "two"), wantErr: "LISTEN_FDS"},
		{name: "count missing", getenv: env(envListenPID, "100"), wantErr: "LISTEN_FDS is not set"},
		{name: "negative count", getenv: env(envListenPID, "100", envListenFDs, "-1"), wantErr: "LISTEN_FDS"},
		{name: "huge count", getenv: env(envListenPID, "100", envListenFDs, "99999999"), wantErr: "LISTEN_FDS"},
		{name: "names do not match count", getenv: env(envListenPID, "100", envListenFDs, "2", envListenFDNames, "web"), wantErr: "names 1 descriptors, 2"},
		{name: "empty name", getenv: env(EnvPPID, "50", EnvFDs, "2", EnvFDNames, "a:", EnvMode, "overlap"), wantErr: "empty"},
		{name: "control character", getenv: env(EnvPPID, "50", EnvFDs, "1", EnvFDNames, "a\nb", EnvMode, "overlap"), wantErr: "printable"},
		{name: "bad mode", getenv: env(EnvPPID, "50", EnvFDs, "0", EnvMode, "both"), wantErr: "GRACE_UPGRADE_MODE"},
		{name: "bad PID", getenv: env(EnvPPID, "x"), wantErr: "GRACE_UPGRADE_PPID"},
		{name: "bad LISTEN_PID", getenv: env(envListenPID, "-3"), wantErr: "LISTEN_PID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseEnv(c.getenv, pid, ppid)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !errors.Is(err, errBadEnv) {
					t.Fatalf("error %v, want one naming %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.names, c.want.names) || !slices.Equal(got.fds, c.want.fds) || got.successor != c.want.successor ||
				got.ppid != c.want.ppid || got.mode != c.want.mode {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestUpgradeEnvRoundTrip: what a parent writes, its child reads back, and nothing inherited
// by the parent itself passes on.
func TestUpgradeEnvRoundTrip(t *testing.T) {
	base := []string{"PATH=/bin", "LISTEN_FDS=3", "LISTEN_PID=9", "LISTEN_FDNAMES=a:b:c", "GRACE_UPGRADE_FDS=1", "HOME=/root",
		"WATCHDOG_PID=50", "WATCHDOG_USEC=1000000"}
	out := upgradeEnv(base, 50, []string{"http", "admin"}, modeOverlap)
	m := map[string]string{}
	for _, kv := range out {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := m[k]; dup {
			t.Errorf("%s set twice", k)
		}
		m[k] = v
	}
	if _, ok := m[envListenFDs]; ok {
		t.Errorf("LISTEN_FDS passed on: %v", out)
	}
	// The watchdog names the parent: the successor, the next main process, must keep it alive.
	if _, ok := m["WATCHDOG_PID"]; ok || m["WATCHDOG_USEC"] != "1000000" {
		t.Errorf("watchdog variables: %v", out)
	}
	got, err := parseEnv(func(k string) string { return m[k] }, 51, 50)
	if err != nil {
		t.Fatal(err)
	}
	if !got.successor || !slices.Equal(got.names, []string{"http", "admin"}) || !slices.Equal(got.fds, []int{5, 6}) {
		t.Errorf("round trip: %+v", got)
	}
}

// FuzzParseEnv: no input makes the parser panic, accept descriptors below 3, more than it was
// told, or names systemd would not accept.
func FuzzParseEnv(f *testing.F) {
	f.Add("100", "2", "web:admin", "", "", "", "")
	f.Add("", "", "", "50", "1", "http", "overlap")
	f.Add("100", "1", "", "50", "0", "", "sequential")
	f.Add("100", "3", "a::b", "", "", "", "")
	f.Fuzz(func(t *testing.T, lpid, lfds, lnames, ppid, fds, names, mode string) {
		getenv := env(envListenPID, lpid, envListenFDs, lfds, envListenFDNames, lnames,
			EnvPPID, ppid, EnvFDs, fds, EnvFDNames, names, EnvMode, mode)
		in, err := parseEnv(getenv, 100, 50)
		if err != nil {
			if !errors.Is(err, errBadEnv) {
				t.Fatalf("error not wrapping errBadEnv: %v", err)
			}
			return
		}
		if len(in.fds) != len(in.names) || len(in.fds) > maxFDs {
			t.Fatalf("%d descriptors, %d names", len(in.fds), len(in.names))
		}
		for i, fd := range in.fds {
			if fd < firstFD || (in.successor && fd < firstUpgradeFD) {
				t.Fatalf("descriptor %d taken", fd)
			}
			if err := sdnotify.CheckName(in.names[i]); err != nil && in.names[i] != unknownFDName {
				t.Fatalf("accepted name %q: %v", in.names[i], err)
			}
		}
	})
}
