package sdcontainer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ErrUnavailable is matched by [Boot]'s error when this machine cannot boot the container at all:
// not Linux, not root, or debootstrap, systemd-nspawn or nsenter missing. Other failures (the
// root filesystem cannot be built, systemd does not come up) are plain errors.
var ErrUnavailable = errors.New("no systemd container can boot here")

// Deadlines of the container's own steps.
const (
	buildTimeout = 10 * time.Minute // debootstrap on a slow mirror
	bootTimeout  = 90 * time.Second
	stopTimeout  = 30 * time.Second
	cmdTimeout   = 90 * time.Second // one systemctl/journalctl call; `systemctl stop` may wait for a slow stop
)

// ScriptEnv, when set, is the path of scripts/systemd-container; by default it is looked for in
// the working directory and its parents.
const ScriptEnv = "GRACE_SYSTEMD_CONTAINER"

// Container is a running container whose PID 1 is a real systemd.
type Container struct {
	// PID1 is the host PID of the container's systemd.
	PID1 int
	// Name is the container's machine name.
	Name string

	script string
	dir    string // host scratch: console log, built binaries
	cmd    *exec.Cmd
	exited chan struct{} // closed once systemd-nspawn has exited and been reaped

	mu    sync.Mutex
	bins  map[string]string // installed binary name -> path inside
	built map[string]string // package -> host binary
}

var boots atomic.Int64

// findScript locates scripts/systemd-container.
func findScript() (string, error) {
	if p := os.Getenv(ScriptEnv); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "systemd-container")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("scripts/systemd-container not found above the working directory (set %s)", ScriptEnv)
		}
		dir = parent
	}
}

// available returns why the container cannot boot here, or nil.
func available() error {
	if err := platformOK(); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not root (systemd-nspawn needs it)", ErrUnavailable)
	}
	for _, tool := range []string{"debootstrap", "systemd-nspawn", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s is missing (scripts/deps installs it)", ErrUnavailable, tool)
		}
	}
	return nil
}

// Boot builds (or finds cached) the root filesystem, boots a container on it and waits until its
// systemd has finished booting. The container dies with the calling process (SIGTERM to
// systemd-nspawn, which powers it off) if [Container.Stop] is never called.
func Boot(ctx context.Context) (*Container, error) {
	if err := available(); err != nil {
		return nil, err
	}
	script, err := findScript()
	if err != nil {
		return nil, err
	}
	bctx, cancel := context.WithTimeout(ctx, buildTimeout)
	out, err := exec.CommandContext(bctx, script, "root").CombinedOutput()
	cancel()
	if err != nil {
		return nil, fmt.Errorf("sdcontainer: build the root filesystem: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "sdcontainer-")
	if err != nil {
		return nil, err
	}
	c := &Container{
		Name:   fmt.Sprintf("grace-%d-%d", os.Getpid(), boots.Add(1)),
		script: script,
		dir:    dir,
		exited: make(chan struct{}),
		bins:   make(map[string]string),
		built:  make(map[string]string),
	}
	if err := c.start(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Container) start(ctx context.Context) error {
	console, err := os.Create(filepath.Join(c.dir, "console.log"))
	if err != nil {
		return err
	}
	defer console.Close() // the child has its own copy
	c.cmd = exec.Command(c.script, "run", c.Name)
	c.cmd.Stdout, c.cmd.Stderr = console, console
	c.cmd.SysProcAttr = procAttr()
	if err := c.cmd.Start(); err != nil {
		close(c.exited)
		return fmt.Errorf("sdcontainer: start systemd-nspawn: %w", err)
	}
	go func() {
		c.cmd.Wait()
		close(c.exited)
	}()

	deadline := time.Now().Add(bootTimeout)
	for c.PID1 == 0 {
		if p, ok := childSystemd(c.cmd.Process.Pid); ok {
			c.PID1 = p
			break
		}
		select {
		case <-c.exited:
			return fmt.Errorf("sdcontainer: systemd-nspawn exited while booting:\n%s", c.Console())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond): // polling /proc: there is no event for a new child
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sdcontainer: no systemd under systemd-nspawn after %v:\n%s", bootTimeout, c.Console())
		}
	}
	// Until systemd has made its private socket, systemctl cannot connect and says so at once;
	// once it can, --wait returns when the boot is over.
	var state string
	for {
		wctx, cancel := context.WithDeadline(ctx, deadline)
		out, _ := c.Command(wctx, "systemctl", "is-system-running", "--wait").Output()
		cancel()
		state = strings.TrimSpace(string(out))
		switch state {
		case "running", "degraded":
			return nil
		}
		// Anything else (nothing, "offline": not even /run/systemd/system yet) is early boot.
		select {
		case <-c.exited:
			return fmt.Errorf("sdcontainer: systemd-nspawn exited while booting:\n%s", c.Console())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			failed, _ := c.Output("systemctl", "--failed", "--no-legend")
			return fmt.Errorf("sdcontainer: systemd did not finish booting within %v (state %q); failed units:\n%s\nconsole:\n%s", bootTimeout, state, failed, c.Console())
		}
	}
}

// childSystemd returns the PID of the process named systemd among pid's children.
func childSystemd(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0, false
	}
	for _, f := range strings.Fields(string(b)) {
		comm, err := os.ReadFile("/proc/" + f + "/comm")
		if err == nil && strings.TrimSpace(string(comm)) == "systemd" {
			var p int
			fmt.Sscan(f, &p)
			return p, true
		}
	}
	return 0, false
}

// Console returns what systemd-nspawn and the container's console printed so far.
func (c *Container) Console() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "console.log"))
	return string(b)
}

// Command returns a command that runs args inside the container (nsenter into all of PID 1's
// namespaces).
func (c *Container) Command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "nsenter", append([]string{"-t", fmt.Sprint(c.PID1), "-a"}, args...)...)
}

// Output runs args inside the container and returns their combined output; the error names the
// command and carries the output.
func (c *Container) Output(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := c.Command(ctx, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Exec runs args inside the container and returns their output; it fails t if they fail.
func (c *Container) Exec(t testing.TB, args ...string) string {
	t.Helper()
	out, err := c.Output(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Systemctl runs systemctl with args inside the container; it fails t if systemctl fails, with the
// journal of the units named in args.
func (c *Container) Systemctl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := c.Output(append([]string{"systemctl"}, args...)...)
	if err != nil {
		var journals []string
		for _, a := range args {
			if strings.Contains(a, ".") {
				journals = append(journals, "journal of "+a+":\n"+c.Journal(a))
			}
		}
		t.Fatalf("%v\n%s", err, strings.Join(journals, "\n"))
	}
	return out
}

// Show returns the value of unit's property prop (`systemctl show -P prop unit`).
func (c *Container) Show(t testing.TB, unit, prop string) string {
	t.Helper()
	return strings.TrimSpace(c.Systemctl(t, "show", "-P", prop, unit))
}

// Journal returns unit's journal (its messages only), or the error reading it.
func (c *Container) Journal(unit string) string {
	out, err := c.Output("journalctl", "--no-pager", "-o", "short-monotonic", "-u", unit)
	if err != nil {
		return err.Error()
	}
	return out
}

// WriteFile writes data to path inside the container (through /proc/PID1/root), atomically.
func (c *Container) WriteFile(path string, data []byte, perm os.FileMode) error {
	host := filepath.Join(fmt.Sprintf("/proc/%d/root", c.PID1), path)
	if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
		return err
	}
	tmp := host + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	if err := os.Chmod(tmp, perm); err != nil {
		return err
	}
	return os.Rename(tmp, host)
}

// WriteUnit writes a unit file into /etc/systemd/system, reloads systemd, and, when t ends,
// stops the unit (so that tests sharing the container leave nothing running).
func (c *Container) WriteUnit(t testing.TB, name, text string) {
	t.Helper()
	if err := c.WriteFile("/etc/systemd/system/"+name, []byte(text), 0o644); err != nil {
		t.Fatalf("write unit %s: %v", name, err)
	}
	c.Systemctl(t, "daemon-reload")
	t.Cleanup(func() {
		if out, err := c.Output("systemctl", "stop", name); err != nil {
			t.Errorf("stop %s at the end of the test: %v\n%s", name, err, out)
		}
	})
}

// Install copies the host file src into the container as /usr/local/bin/name and returns that
// path. The file must run there: a static binary (CGO_ENABLED=0) — see [Container.Build].
func (c *Container) Install(src, name string) (string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	path := "/usr/local/bin/" + name
	if err := c.WriteFile(path, data, 0o755); err != nil {
		return "", fmt.Errorf("install %s: %w", path, err)
	}
	return path, nil
}

// Build compiles the Go main package pkg (a path as `go build` takes it, relative to the test's
// working directory) as a static binary (CGO_ENABLED=0), installs it in the container as
// /usr/local/bin/name and returns that path. A package already built and installed under the
// same name is not built again.
func (c *Container) Build(t testing.TB, pkg, name string) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.bins[name]; ok {
		return p
	}
	host, ok := c.built[pkg]
	if !ok {
		host = filepath.Join(c.dir, "bin-"+name)
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", host, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
		c.built[pkg] = host
	}
	p, err := c.Install(host, name)
	if err != nil {
		t.Fatal(err)
	}
	c.bins[name] = p
	return p
}

// Stop powers the container off and waits for systemd-nspawn to exit; past a deadline it kills
// it. It removes the scratch directory. It may be called more than once.
func (c *Container) Stop() error {
	var err error
	if c.cmd != nil && c.cmd.Process != nil {
		select {
		case <-c.exited:
		default:
			if c.PID1 != 0 {
				ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
				c.Command(ctx, "systemctl", "poweroff", "--no-block").Run()
				cancel()
			} else {
				c.cmd.Process.Signal(terminate)
			}
			select {
			case <-c.exited:
			case <-time.After(stopTimeout):
				// Killing systemd-nspawn alone would leave the container running: kill its
				// PID 1, which takes every process of the container with it.
				if c.PID1 != 0 {
					killPID(c.PID1)
				}
				killGroup(c.cmd.Process.Pid)
				<-c.exited
				err = fmt.Errorf("sdcontainer: %s did not power off within %v; killed", c.Name, stopTimeout)
			}
		}
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
	return err
}
