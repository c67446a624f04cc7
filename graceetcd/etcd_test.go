package graceetcd_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

var quietLog = slog.New(slog.DiscardHandler)

// endpoint is the etcd that scripts/services started (Debian etcd-server).
func endpoint(t *testing.T) string {
	t.Helper()
	ep := os.Getenv("GRACE_TEST_ETCD_ENDPOINT")
	if ep == "" {
		t.Fatal("GRACE_TEST_ETCD_ENDPOINT is not set: start etcd with scripts/services (see CONTRIBUTING) or run make test")
	}
	return ep
}

func newClient(t *testing.T, ep string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testKey is a key of this test alone.
func testKey(t *testing.T) string {
	return fmt.Sprintf("/grace-test/%s/%d", t.Name(), time.Now().UnixNano())
}

// watchedListener is the instance's listener; it reports when it is closed.
type watchedListener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

func listen(t *testing.T) *watchedListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &watchedListener{Listener: l, closed: make(chan struct{})}
}

func (l *watchedListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func (l *watchedListener) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

// server is the instance's stand-in server: it closes its listener at its turn to stop.
func server(l *watchedListener) grace.Hook {
	return grace.Hook{OnStop: func(context.Context) error { return l.Close() }}
}

type runResult struct {
	rep *grace.Report
	err error
}

func run(t *testing.T, app *grace.App) <-chan runResult {
	t.Helper()
	done := make(chan runResult, 1)
	go func() {
		rep, err := app.Run(context.Background())
		done <- runResult{rep, err}
	}()
	t.Cleanup(func() {
		app.Stop("test cleanup")
		<-app.Await(grace.PhaseStopped)
	})
	return done
}

func wait(t *testing.T, done <-chan runResult) runResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("app did not stop within 30s")
	}
	return runResult{}
}

// until polls cond every 20ms until it holds, failing the test after d.
func until(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func getKey(t *testing.T, c *clientv3.Client, key string) (value string, lease clientv3.LeaseID, ok bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return "", 0, false
	}
	return string(resp.Kvs[0].Value), clientv3.LeaseID(resp.Kvs[0].Lease), true
}

// ownEtcd starts an etcd of this test alone (the etcd binary on PATH) on free ports, and returns
// its client endpoint and a function that kills it.
func ownEtcd(t *testing.T) (string, func()) {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatal("etcd is not on PATH (Debian package etcd-server; scripts/deps installs it)")
	}
	dir := t.TempDir()
	client, peer := freePort(t), freePort(t)
	logf, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--name", "t", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", "http://"+client, "--advertise-client-urls", "http://"+client,
		"--listen-peer-urls", "http://"+peer, "--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "t=http://"+peer)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	kill := func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(kill)
	until(t, 20*time.Second, "own etcd not healthy (see "+logf.Name()+")", func() bool {
		resp, err := http.Get("http://" + client + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	http.DefaultClient.CloseIdleConnections()
	return client, kill
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
