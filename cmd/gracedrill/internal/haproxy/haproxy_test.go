package haproxy

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestRenderedConfigIsValid(t *testing.T) {
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Fatalf("haproxy is needed (Debian package haproxy): %v", err)
	}
	dir := t.TempDir()
	c := Config{Listen: "127.0.0.1:18999", Socket: filepath.Join(dir, "s.sock"), ReadyPath: "/readyz?x=1",
		Interval: 200 * time.Millisecond, Fall: 2, Timeout: 5 * time.Second,
		Servers: []Server{{Name: "i1", Host: "127.0.0.1", Port: 18001}, {Name: "i2", Host: "127.0.0.1", Port: 18002}}}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(c.Render()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("haproxy", "-c", "-f", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n%s", err, out, c.Render())
	}
}

const stateSample = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 be 1 i1 127.0.0.1 0 0 1 1 2 8 2 0 6 0 0 0 - 18081 - 0 0 - - 0
3 be 2 i2 127.0.0.1 2 0 1 1 1 1 0 2 6 0 0 0 - 18082 - 0 0 - - 0
3 be 3 i3 127.0.0.1 2 1 1 1 1 1 0 2 6 0 0 0 - 18083 - 0 0 - - 0
`

func TestParseServersState(t *testing.T) {
	got, err := parseServersState(stateSample)
	if err != nil {
		t.Fatal(err)
	}
	if got["i1"] || !got["i2"] || got["i3"] || len(got) != 3 {
		t.Fatalf("running %v: want only i2 (i1 down, i3 in maintenance)", got)
	}
	if _, err := parseServersState("Unknown command"); err == nil {
		t.Fatal("no error for an answer without a header")
	}
}

func FuzzParseServersState(f *testing.F) {
	f.Add(stateSample)
	f.Add("1\n# srv_name srv_op_state srv_admin_state\nx 2 0\n")
	f.Add("# a\n")
	f.Fuzz(func(t *testing.T, s string) {
		running, err := parseServersState(s)
		if err == nil && running == nil {
			t.Fatal("nil map without error")
		}
	})
}
