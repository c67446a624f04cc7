// Package config reads gracedrill's command line into a validated Config.
package config

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/load"
)

// Modes.
const (
	ModeRun     = "run"
	ModeRollout = "rollout"
)

// Defaults of the flags.
const (
	DefaultURL          = "http://127.0.0.1:8080"
	DefaultReadyPath    = "/readyz"
	DefaultRate         = 1000
	DefaultDuration     = 10 * time.Second
	DefaultSignalAt     = 3 * time.Second
	DefaultSignal       = "TERM"
	DefaultBudget       = 30 * time.Second
	DefaultStartTimeout = 30 * time.Second
	DefaultLBInterval   = 500 * time.Millisecond
	DefaultLBFall       = 2
	DefaultInstances    = 2
	DefaultRestarts     = 2
	DefaultHAProxy      = "haproxy"
	// MaxRate is the highest rate accepted; more is not something one process can send and
	// measure honestly.
	MaxRate = 100_000
	// MaxRequests bounds rate × duration so the recording fits in memory.
	MaxRequests = 50_000_000
	// MaxInstances bounds --instances.
	MaxInstances = 64
	// PortPlaceholder in the command's arguments is replaced by the instance's port.
	PortPlaceholder = "{port}"
)

// Config is a validated command line.
type Config struct {
	Mode            string
	URL             string // run: the service's base URL; rollout: HAProxy's frontend ("" = any free port)
	Host            string // host of URL (run) or of the instances (rollout)
	Port            int    // port of URL (run); HAProxy's frontend port (rollout, 0 = pick)
	ReadyURL        string // run: readiness URL
	ReadyPath       string // rollout: readiness path of each instance and of HAProxy's health check
	Rate            int
	Duration        time.Duration
	SignalAt        time.Duration
	Signal          os.Signal
	SignalName      string
	JSON            string
	HTML            string
	Targets         []load.Target
	Timeout         time.Duration
	Budget          time.Duration
	StartTimeout    time.Duration
	LBInterval      time.Duration
	LBFall          int
	IgnoreReadiness bool
	Quiet           bool
	ServiceOutput   bool
	Instances       int
	Restarts        int
	HAProxy         string
	Command         []string

	// A service the drill did not start (run mode without a command): the stop comes from
	// Trigger (a shell command) or from Signal sent to PID (or to the process in PIDFile).
	Trigger       string
	PID           int
	PIDFile       string
	ServiceReport string        // file or URL holding the service's own shutdown report
	JUnit         string        // write the checks as JUnit XML here
	MaxFailed     int           // failed requests tolerated
	MaxP99        time.Duration // highest p99 latency tolerated; 0: no limit
}

// External reports whether the drill targets a service it did not start.
func (c Config) External() bool { return len(c.Command) == 0 }

// CommandFor returns the command with the port placeholder replaced, and the environment
// (PORT) an instance listening on port gets.
func (c Config) CommandFor(port int) (argv []string, env []string) {
	p := strconv.Itoa(port)
	for _, a := range c.Command {
		argv = append(argv, strings.ReplaceAll(a, PortPlaceholder, p))
	}
	return argv, []string{"PORT=" + p}
}
