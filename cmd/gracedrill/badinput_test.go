package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
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
		{"trigger and a command", append([]string{"run", "--url", "http://a:1", "--trigger", "true"}, cmd...), "drop the command after --"},
		{"trigger and pid", []string{"run", "--url", "http://a:1", "--trigger", "true", "--pid", "1"}, "exclude each other"},
		{"negative pid", []string{"run", "--url", "http://a:1", "--pid", "-4"}, "--pid -4: not a process id"},
		{"pid not a number", []string{"run", "--url", "http://a:1", "--pid", "one"}, `invalid value "one" for flag -pid`},
		{"missing pid file", []string{"run", "--url", "http://a:1", "--pid-file", "/nonexistent/x.pid"}, "--pid-file: open /nonexistent/x.pid"},
		{"trigger without url", []string{"run", "--trigger", "true"}, "a running service needs its URL"},
		{"blank trigger", []string{"run", "--url", "http://a:1", "--trigger", "  "}, "--trigger: empty command"},
		{"trigger in rollout", append([]string{"rollout", "--trigger", "true"}, cmd...), "for run mode"},
		{"trigger ignoring readiness", []string{"run", "--url", "http://a:1", "--trigger", "x", "--ignore-readiness"}, "the platform is the load balancer"},
		{"no target", []string{"run", "--url", "http://a:1"}, "--trigger, --pid or --pid-file"},
		{"negative max failed", append([]string{"run", "--max-failed", "-1"}, cmd...), "--max-failed -1: must be 0 or more"},
		{"negative max p99", append([]string{"run", "--max-p99", "-5ms"}, cmd...), "--max-p99 -5ms: must be positive"},
		{"bad max p99", append([]string{"run", "--max-p99", "fast"}, cmd...), `invalid value "fast" for flag -max-p99`},
		{"report from ftp", append([]string{"run", "--service-report", "ftp://h/r"}, cmd...), "want a file or an http(s):// URL"},
		{"report is a directory", append([]string{"run", "--service-report", "/"}, cmd...), "is a directory"},
		{"budget zero", append([]string{"run", "--budget", "0s"}, cmd...), "--budget 0s: must be positive"},
	} {
		code, out := runCLI(tc.args...)
		if code != exitUsage || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, output %q: want exit %d and %q", tc.name, code, out, exitUsage, tc.want)
		}
	}
}

func TestBadPIDFileContent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "svc.pid")
	if err := os.WriteFile(path, []byte("not-a-pid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI("run", "--url", "http://a:1", "--pid-file", path)
	if code != exitUsage || !strings.Contains(out, `"not-a-pid" is not a process id`) {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

// A service that is not there: the drill cannot run, says why, and still writes its JUnit file
// with a failing case, so a pipeline shows the failure.
func TestUnreachableServiceFailsWithJUnit(t *testing.T) {
	t.Parallel()
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	code, out := runCLI("run", "--url", freeURL(t), "--trigger", "true", "--ready", "/readyz", "--start-timeout", "300ms", "--junit", junitPath)
	if code != exitFail || !strings.Contains(out, "is not ready") || !strings.Contains(out, "gracedrill-result verdict=fail") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	b, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct { // a consumer's view of the schema
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit: %v\n%s", err, b)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Failures != 1 || doc.Suites[0].Cases[0].Failure == nil ||
		!strings.Contains(doc.Suites[0].Cases[0].Failure.Message, "is not ready") {
		t.Fatalf("junit:\n%s", b)
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
