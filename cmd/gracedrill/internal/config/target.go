package config

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// finishTarget checks how the service is reached: a command to start, or a running service
// stopped by --trigger, --pid or --pid-file.
func (c *Config) finishTarget(urlFlag string) error {
	ways := 0
	for _, set := range []bool{c.Trigger != "", c.PID != 0, c.PIDFile != ""} {
		if set {
			ways++
		}
	}
	switch {
	case ways > 0 && c.Mode != ModeRun:
		return Usagef("--trigger, --pid and --pid-file are for run mode (a rollout done by your platform is a run with --trigger)")
	case c.PID < 0:
		return Usagef("--pid %d: not a process id", c.PID)
	case ways > 1:
		return Usagef("--trigger, --pid and --pid-file exclude each other: give one")
	case ways == 1 && len(c.Command) > 0:
		return Usagef("--trigger, --pid and --pid-file are for a service already running: drop the command after -- (%s)", strings.Join(c.Command, " "))
	case ways == 0 && len(c.Command) == 0 && c.Mode == ModeRun:
		return Usagef("no command: put the service's command after --, e.g. gracedrill run -- ./server --port {port}; or target a running service with --url and --trigger, --pid or --pid-file")
	case ways == 0 && len(c.Command) == 0:
		return Usagef("no command: put the service's command after --, e.g. gracedrill %s -- ./server --port {port}", c.Mode)
	case ways == 1 && urlFlag == "":
		return Usagef("--url: a running service needs its URL, e.g. --url http://10.0.0.5:8080")
	case strings.TrimSpace(c.Trigger) == "" && c.Trigger != "":
		return Usagef("--trigger: empty command")
	}
	if c.PIDFile != "" {
		if _, err := ReadPIDFile(c.PIDFile); err != nil {
			return Usagef("%s", err)
		}
	}
	return nil
}

// ReadPIDFile reads a process id from a pid file (the first line, surrounding space ignored).
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("--pid-file: %w", err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid < 1 {
		return 0, fmt.Errorf("--pid-file %s: %q is not a process id", path, line)
	}
	return pid, nil
}

// checkReportSource rejects a --service-report that cannot be read: a directory, or a URL that
// is not http(s).
func checkReportSource(spec string) error {
	if strings.Contains(spec, "://") {
		u, err := url.Parse(spec)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Usagef("--service-report %q: want a file or an http(s):// URL", spec)
		}
		return nil
	}
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		return Usagef("--service-report %q: is a directory; want the report or log file", spec)
	}
	return nil
}
