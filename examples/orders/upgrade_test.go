//go:build linux

package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/examples/orders/internal/service"
)

// TestDataDirLock: a second orders process on the same --data-dir fails to start, saying why,
// and leaves the first one serving.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	first := start(t, "--data-dir", dir)
	cmd := exec.Command(binary(t), "--addr", "127.0.0.1:0", "--data-dir", dir)
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 3 {
		t.Fatalf("second process: exit %d (%v), want 3\n%s", code, err, out)
	}
	if !strings.Contains(string(out), "data dir is in use by another orders process") ||
		!strings.Contains(string(out), "pid "+strconv.Itoa(first.cmd.Process.Pid)) {
		t.Errorf("second process did not say the data dir is in use by the first:\n%s", out)
	}
	first.waitReady()
}

// TestSequentialUpgrade: SIGHUP hands the socket to a new process that starts only once the old
// one has stopped (it takes the data dir's lock, the SQLite file and the NATS store after the
// old one released them); an order created before is there after; requests sent during the
// upgrade wait instead of failing.
func TestSequentialUpgrade(t *testing.T) {
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errPath := filepath.Join(t.TempDir(), "stderr")
	errf, err := os.Create(errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd := exec.Command(binary(t), "--addr", "127.0.0.1:0", "--data-dir", dir)
	cmd.Stdout, cmd.Stderr = w, errf // files: the successor inherits them, no copying goroutine
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	urls := make(chan string, 4)
	eof := make(chan struct{})
	go func() { // ends when every generation has exited
		defer close(eof)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), service.ListeningPrefix); ok {
				urls <- u
			}
		}
		r.Close()
	}()
	var successor int
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if successor > 0 {
			_ = syscall.Kill(successor, syscall.SIGTERM)
		}
		select {
		case <-eof:
		case <-time.After(30 * time.Second):
			if successor > 0 {
				_ = syscall.Kill(successor, syscall.SIGKILL)
			}
			<-eof
		}
		if t.Failed() {
			b, _ := os.ReadFile(errPath)
			t.Logf("stderr:\n%s", b)
		}
	})
	wait := func(what string) string {
		t.Helper()
		select {
		case u := <-urls:
			return u
		case <-time.After(60 * time.Second):
			t.Fatalf("waited 60 s for %s", what)
			return ""
		}
	}
	base := wait("the service to listen")
	id := createOrder(t, base)

	// Requests during the upgrade: 50 req/s of GET /orders/{id}.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := []string{}
	sent := 0
	client := &http.Client{Timeout: 30 * time.Second}
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			wg.Go(func() {
				resp, err := client.Get(base + "/orders/" + id)
				mu.Lock()
				defer mu.Unlock()
				sent++
				if err != nil {
					failures = append(failures, err.Error())
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failures = append(failures, resp.Status)
				}
			})
		}
	})
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if got := wait("the successor to listen"); got != base {
		t.Errorf("successor listens on %s, want the inherited %s", got, base)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("the old process: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the old process did not exit")
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	client.CloseIdleConnections()
	mu.Lock()
	if len(failures) > 0 || sent == 0 {
		t.Errorf("%d of %d requests during the upgrade failed: %q", len(failures), sent, failures)
	}
	mu.Unlock()
	b, _ := os.ReadFile(filepath.Join(dir, service.LockFile))
	successor, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	if successor == 0 || successor == cmd.Process.Pid {
		t.Fatalf("the data dir's lock names %q, want the successor", b)
	}
	resp, err := http.Get(base + "/orders/" + id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the order created before the upgrade: %s", resp.Status)
	}
}
