package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/htmlreport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/load"
	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// The upgrade drill's timeline markers (instance = the upgrade's number).
const (
	evUpgradeSignal  record.EventName = "upgrade signal"
	evSuccessorReady record.EventName = "successor ready"
	evParentGone     record.EventName = "parent gone"
	evUpgradeFailed  record.EventName = "upgrade failed"
)

// How a chosen upgrade is made to fail: its successor is a stand-in for a broken build.
const (
	failExit = "exit" // the successor exits at once with status 1
	failHang = "hang" // the successor never becomes ready (the service's ready timeout stops it)
)

const upgradeUsage = `gracedrill upgrade: restart one service in place, under load, and lose nothing.

usage:
  gracedrill upgrade [flags] -- CMD ARGS...

The drill copies CMD's executable into a directory of its own and starts it from there, with
NOTIFY_SOCKET pointing at the drill (the service manager's protocol: RELOADING=1, then MAINPID=
and READY=1 when a successor took over, READY=1 and STATUS= when an attempt failed). It sends
open-loop load, half on keep-alive connections and half on new ones, and --upgrades times sends
the signal to the serving process and times signal → successor ready → parent gone. For
--fail N the executable is replaced, for that upgrade only, by a program that exits (or hangs,
--fail-how hang): the old process must go on serving. Linux only.
Exit status: 0 when no request failed, every upgrade went as planned and every parent exited 0;
1 otherwise; 2 for bad usage.

flags:
`

type upgradeConfig struct {
	URL, Host       string
	Port            int
	ReadyURL        string
	Rate            int
	Upgrades        int
	Every           time.Duration
	Warmup, After   time.Duration
	SignalName      string
	Signal          os.Signal
	Fail            int
	FailHow         string
	UpgradeTimeout  time.Duration
	Budget          time.Duration
	StartTimeout    time.Duration
	Timeout         time.Duration
	JSON, HTML      string
	PIDFile         string
	Quiet           bool
	ServiceOutput   bool
	Command         []string
	targets         []load.Target
	serviceStderr   io.Writer
	progressStderr  io.Writer
	commandEnvExtra []string
}

func parseUpgrade(args []string, out io.Writer) (upgradeConfig, error) {
	var c upgradeConfig
	fs := flag.NewFlagSet("gracedrill upgrade", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, upgradeUsage); fs.PrintDefaults() }
	var urlFlag, readyFlag string
	fs.StringVar(&urlFlag, "url", "http://127.0.0.1:8080", "the service's base URL")
	fs.StringVar(&readyFlag, "ready", "/readyz", "readiness URL, or a path on the service; 200 means ready")
	fs.IntVar(&c.Rate, "rate", 1000, "requests per second (open loop), half on keep-alive connections, half on new ones")
	fs.IntVar(&c.Upgrades, "upgrades", 3, "how many upgrades")
	fs.DurationVar(&c.Every, "every", time.Second, "pause between one upgrade's end and the next signal")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "load before the first upgrade")
	fs.DurationVar(&c.After, "after", time.Second, "load after the last upgrade")
	fs.StringVar(&c.SignalName, "signal", "HUP", "the upgrade signal: HUP, USR1, USR2, ...")
	fs.IntVar(&c.Fail, "fail", 0, "make upgrade `N` (from 1) fail; 0: none")
	fs.StringVar(&c.FailHow, "fail-how", failExit, "how the failing upgrade's successor fails: exit or hang")
	fs.DurationVar(&c.UpgradeTimeout, "upgrade-timeout", 30*time.Second, "how long one upgrade may take to succeed or fail")
	fs.DurationVar(&c.Budget, "budget", 30*time.Second, "how long a parent may take to exit once its successor is ready (and the last process after SIGTERM)")
	fs.DurationVar(&c.StartTimeout, "start-timeout", 30*time.Second, "how long the service may take to become ready")
	fs.DurationVar(&c.Timeout, "timeout", load.DefaultTimeout, "per-request timeout")
	fs.StringVar(&c.PIDFile, "pid-file", "", "take a successor as ready when `FILE` names it (for services that write a PID file, such as tableflip's), instead of from MAINPID= and READY=1")
	fs.StringVar(&c.JSON, "json", "", "write the summary and the upgrades as JSON to `FILE`")
	fs.StringVar(&c.HTML, "html", "", "write a self-contained HTML report with a timeline to `FILE`")
	fs.BoolVar(&c.Quiet, "quiet", false, "no progress lines")
	fs.BoolVar(&c.ServiceOutput, "service-output", false, "copy the service's output to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, config.ErrHelp
		}
		return c, config.Usagef("%s", err)
	}
	c.Command = fs.Args()
	host, port, err := config.HostPort("--url", urlFlag)
	if err != nil {
		return c, err
	}
	c.Port = port
	c.Host, c.URL = host, strings.TrimRight(urlFlag, "/")
	c.ReadyURL = readyFlag
	if strings.HasPrefix(readyFlag, "/") {
		c.ReadyURL = c.URL + readyFlag
	}
	c.Signal, err = process.ParseSignal(c.SignalName)
	switch {
	case len(c.Command) == 0:
		return c, config.Usagef("no command: put the service's command after --, e.g. gracedrill upgrade -- ./server --addr 127.0.0.1:{port}")
	case err != nil:
		return c, config.Usagef("--signal: %s", err)
	case c.Rate < 2 || c.Rate > 100_000:
		return c, config.Usagef("--rate %d: must be from 2 to 100000", c.Rate)
	case c.Upgrades < 1 || c.Upgrades > 1000:
		return c, config.Usagef("--upgrades %d: must be from 1 to 1000", c.Upgrades)
	case c.Fail < 0 || c.Fail > c.Upgrades:
		return c, config.Usagef("--fail %d: must be from 0 to --upgrades %d", c.Fail, c.Upgrades)
	case c.FailHow != failExit && c.FailHow != failHang:
		return c, config.Usagef("--fail-how %q: want exit or hang", c.FailHow)
	case c.Every < 0 || c.Warmup < 0 || c.After < 0:
		return c, config.Usagef("--every, --warmup and --after must not be negative")
	case c.UpgradeTimeout <= 0 || c.Budget <= 0 || c.StartTimeout <= 0 || c.Timeout <= 0:
		return c, config.Usagef("--upgrade-timeout, --budget, --start-timeout and --timeout must be positive")
	}
	c.targets = []load.Target{{Weight: 1, Method: "GET", Path: "/"}}
	return c, nil
}

// upgradeRow is one upgrade as the drill saw it. Durations are from the signal.
type upgradeRow struct {
	N         int            `json:"n"`
	Parent    int            `json:"parent_pid"`
	Successor int            `json:"successor_pid,omitempty"`
	Planned   string         `json:"planned"` // "ok", "exit" or "hang"
	Outcome   string         `json:"outcome"` // "ready", "failed" or what went wrong
	SignalAt  time.Duration  `json:"-"`
	Ready     *time.Duration `json:"-"`
	Gone      *time.Duration `json:"-"`
	ExitCode  *int           `json:"parent_exit_code,omitempty"`
	Detail    string         `json:"detail,omitempty"`
}

type upgradeJSON struct {
	upgradeRow
	SignalAtMS float64  `json:"signal_at_ms"`
	ReadyMS    *float64 `json:"signal_to_ready_ms"`
	GoneMS     *float64 `json:"signal_to_parent_gone_ms"`
}

type upgradeReport struct {
	jsonreport.Traffic
	Upgrades []upgradeJSON `json:"upgrades"`
	Verdict  string        `json:"verdict"`
	Reasons  []string      `json:"reasons"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// runUpgrade is "gracedrill upgrade".
func runUpgrade(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseUpgrade(args, stderr)
	if code, done := parsed(stderr, "gracedrill upgrade", err); done {
		return code
	}
	if c.ServiceOutput {
		c.serviceStderr = stderr
	}
	if !c.Quiet {
		c.progressStderr = stderr
	}
	s, rows, reqs, events, err := upgradeDrill(ctx, c)
	if err != nil {
		fmt.Fprintf(stderr, "gracedrill upgrade: %s\n", err)
		return exitFail
	}
	code := exitPass
	if s.Verdict != summary.Pass {
		code = exitFail
	}
	writeUpgradeText(stdout, rows)
	if err := summary.WriteText(stdout, s); err != nil {
		code = exitFail
	}
	if c.JSON != "" {
		if err := writeUpgradeJSON(c.JSON, s, rows); err != nil {
			fmt.Fprintf(stderr, "gracedrill upgrade: %s\n", err)
			code = exitFail
		}
	}
	if c.HTML != "" {
		if err := htmlreport.WriteFile(c.HTML, s, reqs, events); err != nil {
			fmt.Fprintf(stderr, "gracedrill upgrade: %s\n", err)
			code = exitFail
		}
	}
	return code
}

func writeUpgradeText(w io.Writer, rows []upgradeRow) {
	fmt.Fprintf(w, "upgrades\n  %-3s %-8s %-8s %-9s %-8s %-10s %-12s %s\n", "#", "parent", "succ.", "planned", "outcome", "→ ready", "→ parent gone", "parent exit")
	opt := func(d *time.Duration) string {
		if d == nil {
			return "-"
		}
		return fmt.Sprintf("%.1f ms", ms(*d))
	}
	for _, r := range rows {
		code := "-"
		if r.ExitCode != nil {
			code = strconv.Itoa(*r.ExitCode)
		}
		succ := "-"
		if r.Successor != 0 {
			succ = strconv.Itoa(r.Successor)
		}
		fmt.Fprintf(w, "  %-3d %-8d %-8s %-9s %-8s %-10s %-12s %s\n", r.N, r.Parent, succ, r.Planned, r.Outcome, opt(r.Ready), opt(r.Gone), code)
	}
}

func writeUpgradeJSON(path string, s summary.Summary, rows []upgradeRow) error {
	r := upgradeReport{Traffic: jsonreport.TrafficOf(s), Verdict: s.Verdict, Reasons: s.Reasons}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	for _, row := range rows {
		r.Upgrades = append(r.Upgrades, upgradeJSON{upgradeRow: row, SignalAtMS: ms(row.SignalAt), ReadyMS: jsonreport.MS(row.Ready), GoneMS: jsonreport.MS(row.Gone)})
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}
