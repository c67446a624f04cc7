//go:build linux

package graceupgrade_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// TestOverlapUpgradesLoseNothing: three upgrades back to back — each successor upgraded the
// moment it is ready, while its parent still drains — under open-loop load on new and
// keep-alive connections, with slow requests in flight: nothing refused, reset or cut, every
// parent exits cleanly, and each generation served.
func TestOverlapUpgradesLoseNothing(t *testing.T) {
	s := startService(t)
	l := startLoad(t, s.addr, 300)
	time.Sleep(300 * time.Millisecond) // steady load before the first upgrade
	gens := []int{s.first}
	for range 3 {
		gens = append(gens, s.upgrade(gens[len(gens)-1]))
	}
	for _, p := range gens[:3] {
		if code := s.exited(p, 15*time.Second); code != 0 {
			t.Errorf("parent %d exited with %d", p, code)
		}
	}
	time.Sleep(300 * time.Millisecond) // load on the last generation alone
	served := l.finish(t)
	for _, p := range gens {
		if served[strconv.Itoa(p)] == 0 {
			t.Errorf("process %d served nothing (generations %v, served %v)", p, gens, served)
		}
	}
	// The unix and UDP sockets went along: same file, same port, answered by the last generation.
	last := strconv.Itoa(gens[len(gens)-1])
	if got := s.field(gens[len(gens)-1], "ready", "udp"); got != s.udp {
		t.Errorf("last generation's UDP socket is %s, want %s", got, s.udp)
	}
	if got := udpAsk(t, s.udp); got != last {
		t.Errorf("UDP answered by %q, want %s", got, last)
	}
	if got := unixGet(t, s.unix); got != last {
		t.Errorf("unix socket answered by %q, want %s", got, last)
	}
	// The successor's start ran while its parent served: its store opened before the parent's closed.
	if i, j := s.index(prefix(gens[1], "store-opened")), s.index(prefix(gens[0], "store-closed")); i < 0 || j < 0 || i > j {
		t.Errorf("overlap: successor opened at line %d, parent closed at line %d", i, j)
	}
}

// TestSequentialUpgradeWaitsForParent: in sequential mode the successor's components start only
// once the parent has stopped completely — its store takes an exclusive lock the parent holds
// until its last stop — and the clients that arrive in between wait in the shared accept queue
// instead of being refused.
func TestSequentialUpgradeWaitsForParent(t *testing.T) {
	s := startService(t, "GU_MODE=sequential", "GU_LOCK="+filepath.Join(t.TempDir(), "store.lock"))
	l := startLoad(t, s.addr, 300)
	time.Sleep(300 * time.Millisecond)
	gens := []int{s.first}
	for range 2 {
		child := s.upgrade(gens[len(gens)-1])
		s.wait(20*time.Second, "the successor to be ready", prefix(child, "ready addr="))
		gens = append(gens, child)
	}
	time.Sleep(300 * time.Millisecond)
	l.finish(t)
	for i := 1; i < len(gens); i++ {
		closed := s.index(prefix(gens[i-1], "store-closed"))
		opened := s.index(prefix(gens[i], "store-opened"))
		if closed < 0 || opened < closed {
			t.Errorf("generation %d opened its store (line %d) before %d closed it (line %d)", gens[i], opened, gens[i-1], closed)
		}
	}
	if n := s.count(has(0, "store-locked")); n != 0 {
		t.Errorf("%d processes found the store locked", n)
	}
}

// TestFailedSuccessorLeavesParentServing: a successor whose start fails, then one that never
// becomes ready, are each stopped and reaped while the parent keeps serving every request; the
// next attempt succeeds.
func TestFailedSuccessorLeavesParentServing(t *testing.T) {
	s := startService(t, "GU_READY_TIMEOUT=3s")
	l := startLoad(t, s.addr, 300)
	for i, plan := range []string{"exit", "hang"} {
		s.setPlan(plan)
		if err := syscall.Kill(s.first, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		line := s.wait(20*time.Second, "the attempt to fail", func(l string) bool {
			return strings.HasPrefix(l, strconv.Itoa(s.first)+" event failed attempt="+strconv.Itoa(i+1))
		})
		child := atoi(field(line, "child"))
		if plan == "hang" && !strings.Contains(line, "not ready in time") {
			t.Errorf("hanging successor: %s", line)
		}
		// The failed successor is gone: its parent reaped it (no zombie left behind).
		if err := syscall.Kill(child, 0); err == nil {
			t.Errorf("failed successor %d still exists", child)
		}
	}
	if got := s.count(prefix(s.first, "exit")); got != 0 {
		t.Fatalf("the parent exited after a failed upgrade")
	}
	s.setPlan("ok")
	next := s.upgrade(s.first)
	s.exited(s.first, 15*time.Second)
	time.Sleep(200 * time.Millisecond)
	served := l.finish(t)
	if served[strconv.Itoa(next)] == 0 {
		t.Errorf("the successor after two failures served nothing: %v", served)
	}
}

// TestTriggerDuringUpgradeIsRefused: a second SIGHUP while a successor starts is refused with
// a log line, and only one successor is ever started.
func TestTriggerDuringUpgradeIsRefused(t *testing.T) {
	s := startService(t)
	s.setPlan("slow")
	syscall.Kill(s.first, syscall.SIGHUP)
	s.wait(10*time.Second, "the successor to start", prefix(s.first, "event begin"))
	syscall.Kill(s.first, syscall.SIGHUP)
	s.wait(10*time.Second, "the refusal", func(l string) bool {
		return strings.Contains(l, "upgrade refused") && strings.Contains(l, "pid="+strconv.Itoa(s.first))
	})
	s.wait(20*time.Second, "the upgrade to finish", prefix(s.first, "event ready"))
	if n := s.count(prefix(s.first, "event begin")); n != 1 {
		t.Errorf("%d successors started, want 1", n)
	}
}

// TestSIGTERMMidUpgradeStopsBoth: SIGTERM to the parent while its successor starts stops the
// successor (reaped by the parent) and then the parent, and leaves nothing listening.
func TestSIGTERMMidUpgradeStopsBoth(t *testing.T) {
	s := startService(t)
	s.setPlan("hang")
	syscall.Kill(s.first, syscall.SIGHUP)
	line := s.wait(10*time.Second, "the successor to start", prefix(s.first, "event begin"))
	child := atoi(field(line, "child"))
	s.wait(10*time.Second, "the successor's start", prefix(child, "store-opened"))
	syscall.Kill(s.first, syscall.SIGTERM)
	s.wait(15*time.Second, "the attempt to be cancelled", has(s.first, "event failed"))
	if code := s.exited(s.first, 15*time.Second); code != 0 {
		t.Errorf("parent exited with %d", code)
	}
	s.exited(child, time.Second) // the parent reaped it before its own exit
	if c, err := net.Dial("tcp", s.addr); err == nil {
		c.Close()
		t.Errorf("something still listens on %s", s.addr)
	}
}

// TestInheritedDescriptorsDoNotLeak: a child process the successor starts sees none of the
// inherited-descriptor variables and holds none of the inherited sockets or pipes.
func TestInheritedDescriptorsDoNotLeak(t *testing.T) {
	s := startService(t)
	child := s.upgrade(s.first)
	s.exited(s.first, 15*time.Second)
	resp, err := http.Get("http://" + s.addr + "/spawn")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(b)
	if !strings.Contains(out, "probe done") {
		t.Fatalf("probe from %d: %s", child, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "env ") || strings.HasPrefix(line, "fd ") {
			t.Errorf("leaked to a child of the successor: %s", line)
		}
	}
}

// TestPIDFileNamesTheServingProcess: the PID file names the first process, then its successor,
// and is gone once the last process stops without a successor.
func TestPIDFileNamesTheServingProcess(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "svc.pid")
	s := startService(t, "GU_PIDFILE="+pidFile)
	readPID := func() int {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return 0
		}
		return atoi(strings.TrimSpace(string(b)))
	}
	// The file is written right after the ready line is printed.
	testkit.Until(t, 5*time.Second, "the PID file to name the first process", func() bool { return readPID() == s.first })
	child := s.upgrade(s.first)
	testkit.Until(t, 5*time.Second, "the PID file to name the successor", func() bool { return readPID() == child })
	s.exited(s.first, 15*time.Second)
	if got := readPID(); got != child {
		t.Fatalf("PID file names %d after the parent exited, want %d", got, child)
	}
	syscall.Kill(child, syscall.SIGTERM)
	s.exited(child, 15*time.Second)
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("PID file still there after the last stop: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(pidFile), ".svc.pid.*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// TestAdminEndpoint: the admin endpoint wants its token, upgrades on POST, and passes to the
// successor with the other sockets.
func TestAdminEndpoint(t *testing.T) {
	s := startService(t, "GU_ADMIN=1", "GU_ADMIN_TOKEN=s3cret")
	admin := field(s.wait(time.Second, "ready", prefix(s.first, "ready")), "admin")
	post := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+admin+"/upgrade", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := post("wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	if n := s.count(prefix(s.first, "event begin")); n != 0 {
		t.Fatalf("an unauthorized request started an upgrade")
	}
	code, body := post("s3cret")
	if code != http.StatusOK {
		t.Fatalf("upgrade: %d %s", code, body)
	}
	child := atoi(strings.Fields(body)[1])
	s.exited(s.first, 15*time.Second)
	line := s.wait(5*time.Second, "the successor to be ready", prefix(child, "ready"))
	if got := field(line, "admin"); got != admin {
		t.Errorf("successor's admin endpoint is %s, want the inherited %s", got, admin)
	}
	if code, body := post("s3cret"); code != http.StatusOK {
		t.Errorf("second upgrade through the inherited endpoint: %d %s", code, body)
	}
}

// TestSocketActivation: a process started as systemd starts it — the socket as descriptor 3,
// LISTEN_PID its own PID, LISTEN_FDNAMES naming it — gets that socket from Listen by name, and
// the variables are gone from its environment.
func TestSocketActivation(t *testing.T) {
	ln, cmd := activated(t)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	greeting, _ := bufio.NewReader(c).ReadString('\n')
	c.Close()
	out, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("activated process: %v\n%s", err, out)
	}
	if !strings.HasPrefix(greeting, "served by ") || !strings.Contains(string(out), "served "+ln.Addr().String()) {
		t.Errorf("greeting %q, output:\n%s", greeting, out)
	}
	if strings.Contains(string(out), "still set") {
		t.Errorf("variables left in the environment:\n%s", out)
	}
}

// activated returns a TCP listener and the command of a helper process started as systemd
// starts one: the listener's socket as descriptor 3 named "web", LISTEN_PID its own PID.
func activated(t *testing.T, env ...string) (net.Listener, *exec.Cmd) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	// sh sets LISTEN_PID to its own PID, which exec keeps.
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" -test.run='^$'`, os.Args[0])
	cmd.Env = append(append(os.Environ(), roleVar+"=activated", "GU_NAME=web", "LISTEN_FDS=1", "LISTEN_FDNAMES=web"), env...)
	cmd.ExtraFiles = []*os.File{f}
	return ln, cmd
}

func (s *service) field(pid int, what, key string) string {
	return field(s.wait(5*time.Second, what, prefix(pid, what)), key)
}

func udpAsk(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	for range 5 { // datagrams may be lost; ask again
		if _, err := c.Write([]byte("who")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(buf); err == nil {
			return string(buf[:n])
		}
	}
	t.Fatalf("no UDP answer from %s", addr)
	return ""
}

func unixGet(t *testing.T, path string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}}
	resp, err := c.Get("http://unix/")
	if err != nil {
		t.Fatalf("over the unix socket: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSocketActivationWrongType: asking for a datagram socket under the name of an inherited
// stream socket is an error that says so.
func TestSocketActivationWrongType(t *testing.T) {
	_, cmd := activated(t, "GU_PACKET=1")
	out, _ := cmd.Output()
	if !strings.Contains(string(out), "inherited a stream socket, asked for udp") {
		t.Errorf("output: %s", out)
	}
}
