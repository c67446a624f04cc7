package graceupgrade

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gracekit/grace/internal/sdnotify"
)

// The environment of a successor. A parent sets them on the successor only; the successor's
// [New] reads them and removes them from its environment, so no other child process inherits
// them. Descriptor 3 is the write end of the ready pipe, 4 the read end of the parent's pipe, and
// the named sockets follow from 5 on, in the order of EnvFDNames.
const (
	EnvPPID    = "GRACE_UPGRADE_PPID"    // the parent's PID: the variables are for its child only
	EnvFDs     = "GRACE_UPGRADE_FDS"     // how many named sockets follow descriptor 4
	EnvFDNames = "GRACE_UPGRADE_FDNAMES" // their names, separated by ':'
	EnvMode    = "GRACE_UPGRADE_MODE"    // "overlap" or "sequential"
)

// The variables of systemd's socket activation and file-descriptor store (sd_listen_fds(3)):
// descriptors from 3 on, for the process whose PID is LISTEN_PID.
const (
	envListenFDs     = "LISTEN_FDS"
	envListenPID     = "LISTEN_PID"
	envListenFDNames = "LISTEN_FDNAMES"
)

const (
	firstFD         = 3 // sd_listen_fds' SD_LISTEN_FDS_START, and ours
	readyFD         = 3
	parentFD        = 4
	firstUpgradeFD  = 5
	maxFDs          = 1024 // far above any real service; bounds what bad input can make us touch
	unknownFDName   = "unknown"
	modeOverlap     = "overlap"
	modeSequential  = "sequential"
	listenSeparator = ":"
)

// errBadEnv is wrapped by every parse error, so that [New]'s problem names the variable.
var errBadEnv = errors.New("bad inherited-descriptor environment")

// inherited is what a process was handed: named descriptors, and for a successor its parent's
// pipes.
type inherited struct {
	names     []string // names[i] is descriptor fds[i]
	fds       []int
	successor bool
	ppid      int
	mode      string
}

// parseEnv reads the inherited-descriptor variables through getenv for a process whose PID is
// pid and whose parent's is ppid. Variables meant for another process (a leaked LISTEN_PID or
// GRACE_UPGRADE_PPID) are ignored, as sd_listen_fds does. The parent's variables win over
// systemd's: a successor's systemd sockets came to it through its parent.
func parseEnv(getenv func(string) string, pid, ppid int) (inherited, error) {
	if v := getenv(EnvPPID); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 {
			return inherited{}, fmt.Errorf("%w: %s=%q is not a PID", errBadEnv, EnvPPID, v)
		}
		if p == ppid {
			return parseUpgrade(getenv, ppid)
		}
	}
	if v := getenv(envListenPID); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 {
			return inherited{}, fmt.Errorf("%w: %s=%q is not a PID", errBadEnv, envListenPID, v)
		}
		if p != pid {
			return inherited{}, nil
		}
		return parseFDs(getenv, envListenFDs, envListenFDNames, firstFD, true)
	}
	return inherited{}, nil
}

func parseUpgrade(getenv func(string) string, ppid int) (inherited, error) {
	in, err := parseFDs(getenv, EnvFDs, EnvFDNames, firstUpgradeFD, false)
	if err != nil {
		return inherited{}, err
	}
	mode := getenv(EnvMode)
	if mode != modeOverlap && mode != modeSequential {
		return inherited{}, fmt.Errorf("%w: %s=%q is neither %q nor %q", errBadEnv, EnvMode, mode, modeOverlap, modeSequential)
	}
	in.successor, in.ppid, in.mode = true, ppid, mode
	return in, nil
}

// parseFDs reads a count of descriptors from countVar and their names from namesVar; the
// descriptors are numbered from first on.
func parseFDs(getenv func(string) string, countVar, namesVar string, first int, lenient bool) (inherited, error) {
	n, err := parseCount(countVar, getenv(countVar))
	if err != nil {
		return inherited{}, err
	}
	names, err := parseNames(namesVar, getenv(namesVar), n, lenient)
	if err != nil {
		return inherited{}, err
	}
	in := inherited{names: names}
	for i := range n {
		in.fds = append(in.fds, first+i)
	}
	return in, nil
}

func parseCount(name, v string) (int, error) {
	if v == "" {
		return 0, fmt.Errorf("%w: %s is not set", errBadEnv, name)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxFDs {
		return 0, fmt.Errorf("%w: %s=%q is not a count from 0 to %d", errBadEnv, name, v, maxFDs)
	}
	return n, nil
}

// parseNames splits a ':'-separated list of n names. systemd may leave LISTEN_FDNAMES unset, in
// which case every descriptor is named "unknown" (lenient); ours must always match the count.
func parseNames(name, v string, n int, lenient bool) ([]string, error) {
	if n == 0 {
		if v != "" {
			return nil, fmt.Errorf("%w: %s=%q names descriptors but none were passed", errBadEnv, name, v)
		}
		return nil, nil
	}
	if v == "" && lenient {
		names := make([]string, n)
		for i := range names {
			names[i] = unknownFDName
		}
		return names, nil
	}
	names := strings.Split(v, listenSeparator)
	if len(names) != n {
		return nil, fmt.Errorf("%w: %s names %d descriptors, %d were passed", errBadEnv, name, len(names), n)
	}
	for _, s := range names {
		if err := sdnotify.CheckName(s); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errBadEnv, name, err)
		}
	}
	return names, nil
}

// upgradeEnv returns env without any inherited-descriptor variable, plus the ones for a
// successor of the process ppid.
func upgradeEnv(env []string, ppid int, names []string, mode string) []string {
	out := make([]string, 0, len(env)+4)
	for _, kv := range env {
		// WATCHDOG_PID names this process: the successor, which will be the main process, must
		// keep the watchdog alive too, and with no WATCHDOG_PID the watchdog applies to any PID.
		if !isInheritVar(kv) && !strings.HasPrefix(kv, "WATCHDOG_PID=") {
			out = append(out, kv)
		}
	}
	return append(out,
		EnvPPID+"="+strconv.Itoa(ppid),
		EnvFDs+"="+strconv.Itoa(len(names)),
		EnvFDNames+"="+strings.Join(names, listenSeparator),
		EnvMode+"="+mode,
	)
}

var inheritVars = []string{EnvPPID, EnvFDs, EnvFDNames, EnvMode, envListenFDs, envListenPID, envListenFDNames}

func isInheritVar(kv string) bool {
	k, _, _ := strings.Cut(kv, "=")
	for _, v := range inheritVars {
		if k == v {
			return true
		}
	}
	return false
}
