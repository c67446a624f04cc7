package gracesystemd_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
	loadRate      = 1000                  // requests per second, open loop
	sdWaitFor     = 30 * time.Second      // deadline for a unit to reach a state
	pollContainer = 50 * time.Millisecond // each look runs nsenter and systemctl: not too often
)

// service boots (or reuses) the container and installs the service binary in it.
func service(t *testing.T) (*sdcontainer.Container, string) {
	t.Helper()
	c := box.Get(t)
	return c, c.Build(t, "./internal/sdservice", "sdservice")
}

// startServing writes the unit text(bin, addr) — the service serving HTTP on addr, a free
// address — under a name unique to the test, starts it, and returns the container, the unit and
// the address. A test that fails gets the unit's journal in its log, at its end.
func startServing(t *testing.T, text func(bin, addr string) string) (*sdcontainer.Container, string, string) {
	t.Helper()
	c, bin := service(t)
	addr := testkit.ClosedAddr(t)
	unit := unitName(t, ".service")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("journal:\n%s", c.Journal(unit))
		}
	})
	c.WriteUnit(t, unit, text(bin, addr))
	c.Systemctl(t, "start", unit)
	return c, unit, addr
}

// endLoad lets the last process serve the load a while (a second: the load window), stops the
// load and checks that no request failed.
func endLoad(t *testing.T, load *testkit.Load) loadgen.Result {
	t.Helper()
	time.Sleep(time.Second)
	res, err := load.Stop()
	if err != nil {
		t.Fatal(err)
	}
	checkNoFailure(t, res, loadRate)
	return res
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
		time.Sleep(pollContainer)
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
	// Not parallel: the tests under load run one at a time, so that each load is the only one.
	c, bin := service(t)
	addr := testkit.ClosedAddr(t)
	unit := unitName(t, "")
	c.WriteUnit(t, unit+".service", fmt.Sprintf(`[Unit]
Requires=%[1]s.socket
StartLimitIntervalSec=0
[Service]
Type=notify
ExecStart=%[2]s -listen %[3]s -source activation -linger 3s
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

// listenInode returns the inode of the socket listening on addr (a 127.0.0.1 address), from
// /proc/net/tcp — the container shares the host's network namespace — or 0 if none listens.
// The same inode before and after a restart means the same socket: it never closed.
func listenInode(t *testing.T, addr string) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, _ := strconv.Atoi(port)
	local := fmt.Sprintf(" 0100007F:%04X 00000000:0000 0A ", p) // 0A: LISTEN, no peer
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, local) {
			if fields := strings.Fields(line); len(fields) > 9 {
				return fields[9]
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ""
}

// refused reports whether a connection to addr is refused.
func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, waitFor)
	if err == nil {
		c.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// The services under load keep a connection they accepted but have not read a request from for
// 3 s instead of gracehttp's default 250 ms (WithLinger) before closing it at their stop. On a
// machine as busy as a shared CI runner (load average 30 on 2 cores here) a process that just took
// over a backlog of a second or two of connections accepts them faster than it reads them, and at
// the next restart gracehttp would close the unread ones — up to 1,400 in one process here, each a
// lost request (EOF), although the request was in the socket. A longer linger only delays a
// restart when such connections exist.

// storeUnit is a Type=notify unit running the service with its listener from the fd store.
func storeUnit(bin, args string) string {
	return fmt.Sprintf(`[Unit]
StartLimitIntervalSec=0
[Service]
Type=notify
FileDescriptorStoreMax=4
ExecStart=%s -source store %s
`, bin, args)
}

// TestRealFDStoreRestart: the service keeps its listener in systemd's file-descriptor store
// (gracesystemd.FDStore), so ten plain `systemctl restart`s under 1,000 req/s from the host
// refuse nothing, reset nothing and fail nothing: the socket (same inode throughout) stays open in
// systemd while no process runs, and each new process takes it back by name.
func TestRealFDStoreRestart(t *testing.T) {
	// Not parallel: the tests under load run one at a time, so that each load is the only one.
	c, unit, addr := startServing(t, func(bin, addr string) string { return storeUnit(bin, "-listen "+addr+" -linger 3s") })
	if n := c.Show(t, unit, "NFileDescriptorStore"); n != "1" {
		t.Fatalf("NFileDescriptorStore = %s after the start, want 1 (the listener)\n%s", n, c.Journal(unit))
	}
	inode := listenInode(t, addr)
	pids := map[string]bool{c.Show(t, unit, "MainPID"): true}

	load := testkit.StartLoad(t, "http://"+addr+"/", loadRate)
	for i := range 10 {
		start := time.Now()
		c.Systemctl(t, "restart", unit) // returns once the new process sent READY=1
		took := time.Since(start)
		pid := c.Show(t, unit, "MainPID")
		if pids[pid] {
			t.Fatalf("restart %d: MainPID %s is not a new process", i+1, pid)
		}
		pids[pid] = true
		t.Logf("restart %d: systemctl restart took %v", i+1, took.Round(time.Millisecond))
	}
	res := endLoad(t, load)
	// A socket that closed cannot come back: the same inode after ten restarts is one socket
	// kept open through all of them. (Read once, after the load: /proc/net/tcp is long then.)
	if got := listenInode(t, addr); got != inode {
		t.Errorf("the listening socket changed (inode %s, was %s)", got, inode)
	}
	if len(res.Bodies) != 11 {
		t.Errorf("answers came from %d processes, want 11 (started, then restarted 10 times): %v", len(res.Bodies), res.Bodies)
	}
	if n := c.Show(t, unit, "NFileDescriptorStore"); n != "1" {
		t.Errorf("NFileDescriptorStore = %s after the restarts, want 1: the same socket is kept once", n)
	}
}

// TestRealRestartWithoutStoreRefuses is the control of TestRealFDStoreRestart: the same service
// listening for itself (net.Listen) refuses connections through `systemctl restart`s under the
// same load — which is what the fd store is for, and what that test would see without it.
func TestRealRestartWithoutStoreRefuses(t *testing.T) {
	// Not parallel: the tests under load run one at a time, so that each load is the only one.
	c, unit, addr := startServing(t, func(bin, addr string) string {
		return fmt.Sprintf("[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=notify\nExecStart=%s -source plain -listen %s\n", bin, addr)
	})
	load := testkit.StartLoad(t, "http://"+addr+"/", loadRate)
	for range 3 {
		c.Systemctl(t, "restart", unit)
	}
	res, err := load.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load: %v", res)
	if res.Refused+res.Reset == 0 {
		t.Errorf("no request refused or reset through 3 restarts of a service without the fd store: the load cannot tell")
	}
}

// TestRealFDStoreRemoveAndPrune: a listener the service stops using leaves systemd's store —
// explicitly (FDStore.Remove) or because the new version never asked for it (FDStore.Prune) — and
// its port then refuses connections; a listener moved to another address is replaced. The
// service's main listener keeps its socket through all of it.
func TestRealFDStoreRemoveAndPrune(t *testing.T) {
	t.Parallel()
	c, bin := service(t)
	addrs := freeAddrs(t, 3)
	web, admin, moved := addrs[0], addrs[1], addrs[2]
	unit := unitName(t, ".service")
	inode := ""
	step := func(what, args string, stored int, serving, refusing []string) {
		t.Helper()
		c.WriteUnit(t, unit, storeUnit(bin, args))
		c.Systemctl(t, "restart", unit)
		if n := c.Show(t, unit, "NFileDescriptorStore"); n != strconv.Itoa(stored) {
			t.Fatalf("%s: NFileDescriptorStore = %s, want %d\n%s", what, n, stored, c.Journal(unit))
		}
		pid := "pid=" + c.Show(t, unit, "MainPID")
		for _, a := range serving {
			if got := get(t, "http://"+a+"/"); got != pid {
				t.Fatalf("%s: %s answered %q, want %q", what, a, got, pid)
			}
		}
		for _, a := range refusing {
			if !refused(a) {
				t.Fatalf("%s: %s still accepts connections", what, a)
			}
		}
		if inode == "" {
			inode = listenInode(t, web)
		} else if got := listenInode(t, web); got != inode && slices.Contains(serving, web) {
			t.Fatalf("%s: the web socket changed (inode %s, was %s)", what, got, inode)
		}
	}
	both := "-listen " + web + " -extra admin=" + admin
	step("web and admin", both, 2, []string{web, admin}, nil)
	step("admin removed", "-listen "+web+" -drop admin", 1, []string{web}, []string{admin})
	step("admin back", both, 2, []string{web, admin}, nil)
	step("admin pruned", "-listen "+web, 1, []string{web}, []string{admin})
	inode = ""
	step("web moved", "-listen "+moved, 1, []string{moved}, []string{web})
	if j := c.Journal(unit); !strings.Contains(j, "pruned [admin]") {
		t.Errorf("the journal does not say admin was pruned:\n%s", j)
	}
}
