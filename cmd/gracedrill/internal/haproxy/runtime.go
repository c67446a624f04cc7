package haproxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Runtime talks to HAProxy's runtime API over its admin stats socket, one command per
// connection.
type Runtime struct {
	socket string
	check  string // health-check parameters for added servers
}

// Command sends one command and returns HAProxy's answer, trimmed.
func (r *Runtime) Command(ctx context.Context, cmd string) (string, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "unix", r.socket)
	if err != nil {
		return "", fmt.Errorf("haproxy runtime api: %w", err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", fmt.Errorf("haproxy runtime api: %s: %w", cmd, err)
	}
	out, err := io.ReadAll(c)
	if err != nil {
		return "", fmt.Errorf("haproxy runtime api: %s: %w", cmd, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// AddServer adds s to the backend with health checks and puts it in service.
func (r *Runtime) AddServer(ctx context.Context, s Server) error {
	id := BackendName + "/" + s.Name
	out, err := r.Command(ctx, fmt.Sprintf("add server %s %s %s", id, s.Addr(), r.check))
	if err != nil {
		return err
	}
	if !strings.Contains(out, "New server registered") {
		return fmt.Errorf("haproxy: add server %s: %s", id, out)
	}
	for _, cmd := range []string{"enable health " + id, "enable server " + id} {
		if out, err := r.Command(ctx, cmd); err != nil {
			return err
		} else if out != "" {
			return fmt.Errorf("haproxy: %s: %s", cmd, out)
		}
	}
	return nil
}

// RetireServer takes the server out of service for good by putting it in maintenance. It is
// not deleted: "del server" crashes HAProxy 2.6.12 (Debian 12) when the server still holds idle
// connections, and a server in maintenance receives no traffic and no health checks.
func (r *Runtime) RetireServer(ctx context.Context, name string) error {
	id := BackendName + "/" + name
	out, err := r.Command(ctx, "set server "+id+" state maint")
	if err != nil {
		return err
	}
	if out != "" {
		return fmt.Errorf("haproxy: set server %s state maint: %s", id, out)
	}
	return nil
}

// Running returns the names of the backend's servers HAProxy currently sends traffic to
// (operational state "running" and not in maintenance).
func (r *Runtime) Running(ctx context.Context) (map[string]bool, error) {
	out, err := r.Command(ctx, "show servers state "+BackendName)
	if err != nil {
		return nil, err
	}
	return parseServersState(out)
}

// parseServersState reads "show servers state" output: a version line, a "# ..." header naming
// the columns, then one line per server.
func parseServersState(out string) (map[string]bool, error) {
	var cols map[string]int
	width := 0 // fields in the header
	running := make(map[string]bool)
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if h, ok := strings.CutPrefix(line, "# "); ok {
			cols = make(map[string]int)
			names := strings.Fields(h)
			for i, f := range names {
				cols[f] = i
			}
			width = len(names)
			continue
		}
		f := strings.Fields(line)
		if cols == nil || len(f) < width {
			continue
		}
		name, op, admin := f[cols["srv_name"]], f[cols["srv_op_state"]], f[cols["srv_admin_state"]]
		running[name] = op == "2" && admin == "0"
	}
	if cols == nil || cols["srv_op_state"] == 0 {
		return nil, fmt.Errorf("haproxy: unexpected answer to show servers state: %q", out)
	}
	return running, nil
}
