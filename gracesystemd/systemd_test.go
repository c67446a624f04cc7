package gracesystemd_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/loadgen"
	"github.com/gracekit/grace/internal/sdcontainer"
	"github.com/gracekit/grace/internal/testkit"
)

// The tests in this file run the service (internal/sdservice, a grace app with a Notifier and
// an HTTP server) under a real systemd: PID 1 of a container (internal/sdcontainer) booted once
// for the package and shared by its tests. Each test writes its own units, named after it, and
// talks to systemd with systemctl; the load comes from the host, over the shared network.

// box is the package's container, powered off by TestMain.
var box sdcontainer.Shared

const (
	loadRate  = 1000             // requests per second, open loop
	sdWaitFor = 30 * time.Second // deadline for a unit to reach a state
)

// service boots (or reuses) the container and installs the service binary in it.
func service(t *testing.T) (*sdcontainer.Container, string) {
	t.Helper()
	c := box.Get(t)
	return c, c.Build(t, "./internal/sdservice", "sdservice")
}

// unitName is a unit name unique to the test.
func unitName(t *testing.T, suffix string) string {
	return "sdtest-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())) + suffix
}

// untilProp polls unit's property prop until cond holds; it fails t, with the unit's journal, if it
// does not within sdWaitFor. systemd announces property changes only on D-Bus, which the container
// does not expose to the host, so polling `systemctl show` is the event here.
func untilProp(t *testing.T, c *sdcontainer.Container, unit, prop, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(sdWaitFor)
	for {
		v := c.Show(t, unit, prop)
		if cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s of %s to be %s; it is %q\n%s", sdWaitFor, prop, unit, what, v, c.Journal(unit))
		}
		time.Sleep(testkit.PollInterval)
	}
}

func equals(want string) func(string) bool { return func(v string) bool { return v == want } }

// get fetches url once and returns the body of a 200 answer.
func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: waitFor, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %q", url, resp.Status, body)
	}
	return string(body)
}

// checkNoFailure fails t if any request of the load failed, or the load hardly ran. Two things are
// logged, not failures: a sender that falls behind its schedule on a busy machine (it then sends
// late, in a burst), and requests sent on a pooled keep-alive connection never used before that
// the server had just closed as idle (loadgen.Result.IdleClosed: HTTP/1.1's keep-alive race,
// which browsers retry and Go's client does not).
func checkNoFailure(t *testing.T, res loadgen.Result, minSent int) {
	t.Helper()
	t.Logf("load: %v", res)
	if res.Sent < minSent {
		t.Errorf("only %d requests sent, want at least %d", res.Sent, minSent)
	}
	if res.Lost() != 0 {
		t.Errorf("%d of %d requests failed (refused %d, reset %d, EOF %d, timeout %d, other %d, 5xx %d, of which %d on unused pooled connections); first: %s",
			res.Failed(), res.Sent, res.Refused, res.Reset, res.EOF, res.Timeout, res.Other, res.Status5xx, res.IdleClosed, strings.Join(res.Errors, "; "))
	}
}

// TestRealSocketActivation: a .socket unit owns the port; the first connection, from the host,
// starts the Type=notify service, which takes the socket with gracesystemd.Listeners and answers
// everything the open-loop load sent meanwhile. Three `systemctl restart`s of the service under
// the load refuse nothing: the socket stays with systemd while the service is down.
func TestRealSocketActivation(t *testing.T) {
	t.Parallel()
	c, bin := service(t)
	addr := testkit.ClosedAddr(t)
	unit := unitName(t, "")
	c.WriteUnit(t, unit+".service", fmt.Sprintf(`[Unit]
Requires=%[1]s.socket
[Service]
Type=notify
ExecStart=%[2]s -listen %[3]s -source activation
`, unit, bin, addr))
	c.WriteUnit(t, unit+".socket", fmt.Sprintf(`[Socket]
ListenStream=%s
FileDescriptorName=web
`, addr))
	c.Systemctl(t, "start", unit+".socket")
	if st := c.Show(t, unit+".service", "ActiveState"); st != "inactive" {
		t.Fatalf("service is %s before any connection, want inactive", st)
	}

	load := testkit.StartLoad(t, "http://"+addr+"/", loadRate)
	untilProp(t, c, unit+".service", "StatusText", "ready (READY=1 sent)", equals("ready"))
	pid := c.Show(t, unit+".service", "MainPID")
	for range 3 {
		start := time.Now()
		c.Systemctl(t, "restart", unit+".service")
		t.Logf("restart took %v", time.Since(start))
	}
	time.Sleep(time.Second) // the load window: the last process serves the load a while
	res, err := load.Stop()
	if err != nil {
		t.Fatal(err)
	}
	checkNoFailure(t, res, loadRate)
	if t.Failed() {
		t.Logf("journal:\n%s", c.Journal(unit+".service"))
	}
	if n := res.Bodies["pid="+pid]; n == 0 {
		t.Errorf("no answer from the first activated process (MainPID %s): %v", pid, res.Bodies)
	}
	if len(res.Bodies) != 4 {
		t.Errorf("answers came from %d processes, want 4 (started, then restarted 3 times): %v", len(res.Bodies), res.Bodies)
	}
	if got := get(t, "http://"+addr+"/"); got != "pid="+c.Show(t, unit+".service", "MainPID") {
		t.Errorf("answer %q does not come from MainPID", got)
	}
}

// freeAddrs returns n distinct 127.0.0.1 addresses where nothing listens.
func freeAddrs(t *testing.T, n int) []string {
	var addrs []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return addrs
}
