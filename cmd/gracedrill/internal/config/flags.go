package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/load"
	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
)

// ErrHelp is returned when the user asked for help; the usage was printed.
var ErrHelp = errors.New("help requested")

// UsageError is a bad command line. The drill exits 2 on it.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError with the formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Usage is the overview printed for help and bad usage.
const Usage = `gracedrill: prove a service stops without losing work.

usage:
  gracedrill run     [flags] -- CMD ARGS...   start CMD, load it, signal it, record every request
  gracedrill run     --url URL --trigger 'CMD' [flags]
                                             a running service, stopped or restarted by CMD
  gracedrill run     --url URL --pid PID|--pid-file FILE [flags]
                                             a running service, stopped by a signal to PID
  gracedrill rollout [flags] -- CMD ARGS...   N instances behind HAProxy, K rolling restarts under load
  gracedrill compare A.json B.json... [--html FILE]
                                             runs side by side: a table, and one page

The command gets its port as {port} in ARGS and as $PORT. Exit status: 0 when no request failed
and every stopped service exited 0 within its budget, 1 otherwise, 2 for bad usage.

flags:
`

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ", ") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

// Parse reads args (without the program name). It returns ErrHelp after printing the usage to
// out for -h, and a *UsageError for anything wrong.
func Parse(args []string, out io.Writer) (Config, error) {
	if len(args) == 0 {
		fmt.Fprint(out, Usage)
		return Config{}, Usagef("no mode given: want \"run\" or \"rollout\"")
	}
	mode := args[0]
	switch mode {
	case ModeRun, ModeRollout:
	case "-h", "-help", "--help", "help":
		fs := newFlagSet(ModeRun, &Config{}, new(repeated), new(string), new(string), out)
		fs.Usage()
		return Config{}, ErrHelp
	default:
		return Config{}, Usagef("unknown mode %q: want \"run\" or \"rollout\"", mode)
	}
	c := Config{Mode: mode}
	var reqs repeated
	var urlFlag, readyFlag string
	fs := newFlagSet(mode, &c, &reqs, &urlFlag, &readyFlag, out)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, ErrHelp
		}
		return Config{}, Usagef("%s", err)
	}
	c.Command = fs.Args()
	if err := c.finish(reqs, urlFlag, readyFlag); err != nil {
		return Config{}, err
	}
	return c, nil
}

func newFlagSet(mode string, c *Config, reqs *repeated, urlFlag, readyFlag *string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gracedrill "+mode, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, Usage)
		fs.PrintDefaults()
	}
	fs.StringVar(urlFlag, "url", "", "run: the service's base URL (default "+DefaultURL+"); rollout: HAProxy's frontend URL (default: a free port on 127.0.0.1)")
	fs.StringVar(readyFlag, "ready", "", "readiness URL, or a path on the service (default "+DefaultReadyPath+"); 200 means ready")
	fs.IntVar(&c.Rate, "rate", DefaultRate, "requests per second (open loop)")
	fs.DurationVar(&c.Duration, "duration", DefaultDuration, "how long to send load (rollout: at least until the restarts are done)")
	fs.DurationVar(&c.SignalAt, "signal-at", DefaultSignalAt, "when to send the signal (rollout: start the first restart), from the start of the load")
	fs.StringVar(&c.SignalName, "signal", DefaultSignal, "the stop signal: TERM, INT, HUP, QUIT, USR1, USR2")
	fs.StringVar(&c.JSON, "json", "", "write the summary as JSON to `FILE`")
	fs.StringVar(&c.HTML, "html", "", "write a self-contained HTML report with a timeline to `FILE`")
	fs.Var(reqs, "req", "a request of the mix, \"[WEIGHT:]METHOD PATH[ BODY]\"; repeat it (default \"GET /\")")
	fs.DurationVar(&c.Timeout, "timeout", load.DefaultTimeout, "per-request timeout")
	fs.DurationVar(&c.Budget, "budget", DefaultBudget, "how long a signalled service may take to exit before it is killed and the drill fails")
	fs.DurationVar(&c.StartTimeout, "start-timeout", DefaultStartTimeout, "how long a started service may take to become ready")
	fs.DurationVar(&c.LBInterval, "lb-interval", DefaultLBInterval, "health-check interval of the load balancer (the drill's in run mode, HAProxy's in rollout)")
	fs.IntVar(&c.LBFall, "lb-fall", DefaultLBFall, "rollout: failed health checks before HAProxy takes a server out")
	fs.BoolVar(&c.IgnoreReadiness, "ignore-readiness", false, "run: keep sending after the service turns not ready, as a client without a load balancer would")
	fs.BoolVar(&c.Quiet, "quiet", false, "no live progress line")
	fs.BoolVar(&c.ServiceOutput, "service-output", false, "copy the service's output to stderr")
	fs.IntVar(&c.Instances, "instances", DefaultInstances, "rollout: instances behind HAProxy")
	fs.IntVar(&c.Restarts, "restarts", DefaultRestarts, "rollout: rolling restarts (start new, wait ready, signal old, wait exit)")
	fs.StringVar(&c.HAProxy, "haproxy", DefaultHAProxy, "rollout: the HAProxy binary")
	fs.StringVar(&c.Trigger, "trigger", "", "run a service already running: the shell `command` that stops or restarts it (kubectl, systemctl, docker...), run at --signal-at")
	fs.IntVar(&c.PID, "pid", 0, "run a service already running: send --signal to this process id at --signal-at")
	fs.StringVar(&c.PIDFile, "pid-file", "", "like --pid, the process id read from `FILE` at --signal-at")
	fs.StringVar(&c.ServiceReport, "service-report", "", "where the service writes its own shutdown report: a `FILE` (the JSON report, or a JSON log) or an http(s) URL (default: the started command's output)")
	fs.StringVar(&c.JUnit, "junit", "", "write one JUnit test case per check to `FILE`")
	fs.IntVar(&c.MaxFailed, "max-failed", 0, "failed requests tolerated before the verdict is FAIL")
	fs.DurationVar(&c.MaxP99, "max-p99", 0, "highest p99 latency tolerated (0: no limit)")
	return fs
}

func (c *Config) finish(reqs []string, urlFlag, readyFlag string) error {
	if err := c.finishTarget(urlFlag); err != nil {
		return err
	}
	sig, err := process.ParseSignal(c.SignalName)
	if err != nil {
		return Usagef("--signal: %s", err)
	}
	c.Signal = sig
	switch {
	case c.Rate < 1:
		return Usagef("--rate %d: must be at least 1 request per second", c.Rate)
	case c.Rate > MaxRate:
		return Usagef("--rate %d: more than %d req/s cannot be sent and measured honestly by one process", c.Rate, MaxRate)
	case c.Duration <= 0:
		return Usagef("--duration %v: must be positive", c.Duration)
	case c.SignalAt <= 0 || c.SignalAt >= c.Duration:
		return Usagef("--signal-at %v: must be after the start and before --duration %v", c.SignalAt, c.Duration)
	case float64(c.Rate)*c.Duration.Seconds() > MaxRequests:
		return Usagef("--rate %d × --duration %v is more than %d requests", c.Rate, c.Duration, MaxRequests)
	case c.Timeout <= 0:
		return Usagef("--timeout %v: must be positive", c.Timeout)
	case c.Budget <= 0:
		return Usagef("--budget %v: must be positive", c.Budget)
	case c.StartTimeout <= 0:
		return Usagef("--start-timeout %v: must be positive", c.StartTimeout)
	case c.LBInterval < 10*time.Millisecond:
		return Usagef("--lb-interval %v: must be at least 10ms", c.LBInterval)
	case c.MaxFailed < 0:
		return Usagef("--max-failed %d: must be 0 or more", c.MaxFailed)
	case c.MaxP99 < 0:
		return Usagef("--max-p99 %v: must be positive (or 0 for no limit)", c.MaxP99)
	}
	if c.ServiceReport != "" {
		if err := checkReportSource(c.ServiceReport); err != nil {
			return err
		}
	}
	if len(reqs) == 0 {
		reqs = []string{"GET /"}
	}
	for _, r := range reqs {
		t, err := load.ParseTarget(r)
		if err != nil {
			return Usagef("--req: %s", err)
		}
		c.Targets = append(c.Targets, t)
	}
	if c.Mode == ModeRun {
		return c.finishRun(urlFlag, readyFlag)
	}
	return c.finishRollout(urlFlag, readyFlag)
}

func (c *Config) finishRun(urlFlag, readyFlag string) error {
	if urlFlag == "" {
		urlFlag = DefaultURL
	}
	if c.Trigger != "" && c.IgnoreReadiness {
		return Usagef("--ignore-readiness: with --trigger the drill keeps sending anyway (the platform is the load balancer)")
	}
	host, port, err := HostPort("--url", urlFlag)
	if err != nil {
		return err
	}
	c.URL, c.Host, c.Port = strings.TrimRight(urlFlag, "/"), host, port
	switch {
	case readyFlag == "" && c.Trigger != "":
		// no readiness to watch: the platform in front decides
	case readyFlag == "":
		c.ReadyURL = c.URL + DefaultReadyPath
	case strings.HasPrefix(readyFlag, "/"):
		c.ReadyURL = c.URL + readyFlag
	default:
		if _, _, err := HostPort("--ready", readyFlag); err != nil {
			return err
		}
		c.ReadyURL = readyFlag
	}
	return nil
}

func (c *Config) finishRollout(urlFlag, readyFlag string) error {
	switch {
	case c.Instances < 1 || c.Instances > MaxInstances:
		return Usagef("--instances %d: must be from 1 to %d", c.Instances, MaxInstances)
	case c.Restarts < 1:
		return Usagef("--restarts %d: must be at least 1", c.Restarts)
	case c.LBFall < 1:
		return Usagef("--lb-fall %d: must be at least 1", c.LBFall)
	case c.IgnoreReadiness:
		return Usagef("--ignore-readiness: only for run mode; in rollout HAProxy decides")
	}
	c.Host = "127.0.0.1"
	if urlFlag != "" {
		host, port, err := HostPort("--url", urlFlag)
		if err != nil {
			return err
		}
		c.Port = port
		c.URL = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	}
	c.ReadyPath = DefaultReadyPath
	if readyFlag != "" {
		p := readyFlag
		if !strings.HasPrefix(p, "/") {
			u, err := url.Parse(readyFlag)
			if err != nil || u.Path == "" {
				return Usagef("--ready %q: want a path like /readyz", readyFlag)
			}
			p = u.RequestURI()
		}
		if strings.ContainsAny(p, " \t\r\n\"") {
			return Usagef("--ready %q: the path may not contain spaces or quotes", readyFlag)
		}
		c.ReadyPath = p
	}
	return nil
}

// HostPort checks that s, the value of flag name, is an http URL with an explicit port and
// returns its host (127.0.0.1 when empty) and port. Its error is a *UsageError naming the flag.
func HostPort(name, s string) (string, int, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", 0, Usagef("%s %q: %s", name, s, err)
	}
	if u.Scheme != "http" {
		return "", 0, Usagef("%s %q: want an http:// URL", name, s)
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", 0, Usagef("%s %q: want host:port, e.g. http://127.0.0.1:8080", name, s)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, Usagef("%s %q: port %q is not from 1 to 65535", name, s, portStr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}
