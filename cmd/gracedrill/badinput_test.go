package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
)

func runCLI(args ...string) (int, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

func TestBadUsageExits2WithAClearMessage(t *testing.T) {
	t.Parallel()
	cmd := []string{"--", "/bin/true"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no mode", nil, "no mode given"},
		{"unknown mode", []string{"walk"}, `unknown mode "walk"`},
		{"unknown flag", append([]string{"run", "--bogus"}, cmd...), "flag provided but not defined: -bogus"},
		{"zero rate", append([]string{"run", "--rate", "0"}, cmd...), "--rate 0: must be at least 1"},
		{"impossible rate", append([]string{"run", "--rate", "5000000"}, cmd...), "--rate 5000000: more than 100000"},
		{"signal after the end", append([]string{"run", "--duration", "2s", "--signal-at", "3s"}, cmd...), "--signal-at 3s"},
		{"bad duration", append([]string{"run", "--duration", "soon"}, cmd...), "invalid value \"soon\" for flag -duration"},
		{"bad signal", append([]string{"run", "--signal", "BOOM"}, cmd...), `unknown signal "BOOM"`},
		{"no command", []string{"run"}, "no command"},
		{"url without port", append([]string{"run", "--url", "http://localhost"}, cmd...), "want host:port"},
		{"bad request", append([]string{"run", "--req", "get /"}, cmd...), "must be upper-case"},
		{"zero instances", append([]string{"rollout", "--instances", "0"}, cmd...), "--instances 0"},
		{"ignore readiness in rollout", append([]string{"rollout", "--ignore-readiness"}, cmd...), "only for run mode"},
	} {
		code, out := runCLI(tc.args...)
		if code != exitUsage || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, output %q: want exit %d and %q", tc.name, code, out, exitUsage, tc.want)
		}
	}
}

func TestHelpExits0(t *testing.T) {
	t.Parallel()
	code, out := runCLI("-h")
	if code != exitPass || !strings.Contains(out, "gracedrill run") || !strings.Contains(out, "-signal-at") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestCommandThatDoesNotStartExits1(t *testing.T) {
	t.Parallel()
	code, out := runCLI("run", "--url", freeURL(t), "--", "/nonexistent/service")
	if code != exitFail || !strings.Contains(out, "service did not start") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestCommandThatCrashesExits1WithItsOutput(t *testing.T) {
	t.Parallel()
	code, out := runCLI(append([]string{"run", "--url", freeURL(t)}, testServerCmd(t, "crash")...)...)
	if code != exitFail || !strings.Contains(out, "exit status 3") || !strings.Contains(out, "crashing on purpose") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestPortInUseExits1(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, out := runCLI(append([]string{"run", "--url", "http://" + ln.Addr().String()}, testServerCmd(t, "careful")...)...)
	if code != exitFail || !strings.Contains(out, "port in use") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}
