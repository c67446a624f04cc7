package haproxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
)

// HAProxy is a running HAProxy.
type HAProxy struct {
	Runtime
	dir  string
	proc *process.Process
}

// Start writes the configuration into a new temporary directory and starts
// `bin -W -db -f CFG` in its own process group. It returns once the frontend answers the
// readiness path with 200 (at least one server is up), or an error; on error nothing is left
// running and the directory is removed.
func Start(ctx context.Context, bin string, c Config, out io.Writer, timeout time.Duration) (*HAProxy, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("haproxy: %w (install the haproxy package or pass --haproxy)", err)
	}
	dir, err := os.MkdirTemp("", "gracedrill-haproxy-")
	if err != nil {
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	c.Socket = filepath.Join(dir, "admin.sock")
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(c.Render()), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	proc, err := process.Start([]string{path, "-W", "-db", "-f", cfg}, nil, out)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	h := &HAProxy{Runtime: Runtime{socket: c.Socket, check: c.checkParams()}, dir: dir, proc: proc}
	if err := h.waitServing(ctx, "http://"+c.Listen+c.ReadyPath, timeout); err != nil {
		h.Stop()
		return nil, err
	}
	return h, nil
}

func (h *HAProxy) waitServing(ctx context.Context, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if h.proc.Exited() {
			return h.proc.ExitError("haproxy")
		}
		if resp, err := client.Get(url); err != nil {
			last = err
		} else {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if _, err := h.Running(ctx); err == nil {
					return nil
				}
			}
			last = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("haproxy: %w", context.Cause(ctx))
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("haproxy: frontend not serving after %v: %v; its output:\n%s", timeout, last, h.proc.Output())
}

// Exited returns an error describing HAProxy's exit when it is no longer running, else nil.
func (h *HAProxy) Exited() error {
	if !h.proc.Exited() {
		return nil
	}
	return h.proc.ExitError("haproxy")
}

// Stop stops HAProxy (SIGTERM to the master, SIGKILL to its group after 5 s), reaps it and
// removes its directory. Safe to call more than once.
func (h *HAProxy) Stop() {
	if !h.proc.Exited() {
		_ = h.proc.Signal(syscall.SIGTERM)
		select {
		case <-h.proc.Done():
		case <-time.After(5 * time.Second):
		}
	}
	h.proc.Kill()
	_ = os.RemoveAll(h.dir)
}
