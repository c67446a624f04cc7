package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/examples/orders/internal/service"
)

// The binary under test, built once per test run.
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "orders-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "orders")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is the service running as a child process.
type proc struct {
	t       *testing.T
	cmd     *exec.Cmd
	url     string
	errPath string // the service's stderr, a file: it can be read while the service writes it
	done    chan struct{}
	code    int
}

// output is what the service wrote to stderr so far.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.errPath)
	return string(b)
}

// start runs the service with args (plus --addr 127.0.0.1:0) and waits until it is ready.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, errPath: filepath.Join(t.TempDir(), "stderr"), done: make(chan struct{})}
	errf, err := os.Create(p.errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close() // the service holds its own copy
	cmd.Stderr = errf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), service.ListeningPrefix); ok {
				select {
				case urls <- u:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		err := cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		_ = err
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("service stderr:\n%s", p.output())
		}
	})
	select {
	case p.url = <-urls:
	case <-p.done:
		t.Fatalf("service exited (%d) before listening:\n%s", p.code, p.output())
	case <-time.After(60 * time.Second):
		t.Fatalf("service did not listen in 60 s:\n%s", p.output())
	}
	p.waitReady()
	return p
}

func (p *proc) waitReady() {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("service not ready in 30 s:\n%s", p.output())
}

// term sends SIGTERM.
func (p *proc) term() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the exit and returns the exit code.
func (p *proc) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(limit):
		p.t.Fatalf("service did not exit within %v of the signal:\n%s", limit, p.output())
		return -1
	}
}

var counterRE = regexp.MustCompile(`(\w+_total)=(\d+)`)

// counters returns the final counters the service logged at exit.
func (p *proc) counters() map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(p.output(), "\n") {
		if !strings.Contains(line, `msg="final counters"`) {
			continue
		}
		for _, m := range counterRE.FindAllStringSubmatch(line, -1) {
			n, _ := strconv.ParseInt(m[2], 10, 64)
			out[m[1]] = n
		}
	}
	return out
}

// metric reads one value from /metrics (0 if absent).
func (p *proc) metric(ctx context.Context, name string) int64 {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
