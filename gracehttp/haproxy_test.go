package gracehttp_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// haproxyConfig balances over two backends with health checks on /readyz that mark a draining
// backend down in about a second.
const haproxyConfig = `global
	maxconn 4096
defaults
	mode http
	timeout connect 1s
	timeout client 10s
	timeout server 10s
frontend fe
	bind 127.0.0.1:%d
	default_backend be
backend be
	balance roundrobin
	option httpchk GET /readyz
	http-check expect status 200
	default-server inter 500ms fall 2 rise 1
	server a %s check
	server b %s check
`

// startHAProxy runs the Debian haproxy in the foreground and returns its frontend address.
func startHAProxy(t *testing.T, backends ...string) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy not found on PATH (Debian package haproxy; scripts/deps installs it): %v", err)
	}
	free := listen(t)
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, haproxyConfig, port, backends[0], backends[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-W", "-db", "-f", cfg)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("haproxy exited:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy not listening after 10s:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHAProxyZeroFailures stops one of two instances behind a real HAProxy under load: no client
// request fails, and the drain delay ends by "quiet" once HAProxy stopped sending.
func TestHAProxyZeroFailures(t *testing.T) {
	type instance struct {
		app  *grace.App
		ln   net.Listener
		run  *testkit.Running
		hits atomic.Int64
	}
	newInstance := func(name string) *instance {
		in := &instance{app: testkit.NewApp(grace.WithDrainDelay(4 * time.Second)), ln: listen(t)}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			in.hits.Add(1)
			time.Sleep(2 * time.Millisecond)
			io.WriteString(w, name)
		})
		in.app.Add("http", gracehttp.New(&http.Server{Handler: h}, gracehttp.WithListener(in.ln),
			gracehttp.WithHealth(in.app), gracehttp.WithQuietPeriod(300*time.Millisecond)))
		in.run = testkit.Run(t, in.app)
		in.run.Ready(t)
		return in
	}
	a, b := newInstance("a"), newInstance("b")
	front := "http://" + startHAProxy(t, a.ln.Addr().String(), b.ln.Addr().String()) + "/work"

	var failures, total atomic.Int64
	var firstErr sync.Once
	stop := make(chan struct{})
	var wg sync.WaitGroup
	c := client(t)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, body, err := testkit.Get(c, front)
				total.Add(1)
				if err != nil || status != 200 || (body != "a" && body != "b") {
					failures.Add(1)
					firstErr.Do(func() { t.Errorf("request failed: %d %q %v", status, body, err) })
				}
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); a.hits.Load() < 100 || b.hits.Load() < 100; {
		if time.Now().After(deadline) {
			t.Fatalf("load does not reach both instances: a %d b %d", a.hits.Load(), b.hits.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	sigterm := time.Now()
	a.app.Stop("SIGTERM (test)")
	rep := a.run.Wait(t).Report
	exitAfter := time.Since(sigterm)
	aHits, bHits := a.hits.Load(), b.hits.Load()
	time.Sleep(300 * time.Millisecond) // load goes on against b alone
	close(stop)
	wg.Wait()
	if b.hits.Load() <= bHits {
		t.Errorf("b served nothing after a stopped")
	}
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d requests failed", n, total.Load())
	}
	if rep.ExitCode != grace.ExitClean || rep.DelayEndedBy != "quiet" {
		t.Errorf("a's report: exit %d, delay ended by %q, want clean and quiet:\n%s", rep.ExitCode, rep.DelayEndedBy, rep)
	}
	t.Logf("%d requests, %d failed; a served %d, exited %v after the stop (delay %v, ended by %s)",
		total.Load(), failures.Load(), aHits, exitAfter.Round(time.Millisecond), rep.Delay.Round(time.Millisecond), rep.DelayEndedBy)
}
