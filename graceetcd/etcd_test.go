package graceetcd_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/testkit"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// endpoint is the etcd that scripts/services started (Debian etcd-server).
func endpoint(t *testing.T) string { return testkit.Env(t, testkit.EnvEtcdEndpoint) }

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

// server is the instance's stand-in server: it closes its listener at its turn to stop.
func server(l *testkit.Listener) grace.Hook {
	return grace.Hook{OnStop: func(context.Context) error { return l.Close() }}
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
	client, peer := testkit.ClosedAddr(t), testkit.ClosedAddr(t)
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
	testkit.Until(t, 20*time.Second, "the own etcd to be healthy (see "+logf.Name()+")", func() bool {
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

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
