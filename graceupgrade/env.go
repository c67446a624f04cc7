package graceupgrade

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	maxNameLen      = 255  // systemd's limit for FDNAME=
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
		n, err := parseCount(envListenFDs, getenv(envListenFDs))
		if err != nil {
			return inherited{}, err
		}
		names, err := parseNames(envListenFDNames, getenv(envListenFDNames), n, true)
		if err != nil {
			return inherited{}, err
		}
		in := inherited{names: names}
		for i := range n {
			in.fds = append(in.fds, firstFD+i)
		}
		return in, nil
	}
	return inherited{}, nil
}

func parseUpgrade(getenv func(string) string, ppid int) (inherited, error) {
	n, err := parseCount(EnvFDs, getenv(EnvFDs))
	if err != nil {
		return inherited{}, err
	}
	names, err := parseNames(EnvFDNames, getenv(EnvFDNames), n, false)
	if err != nil {
		return inherited{}, err
	}
	mode := getenv(EnvMode)
	if mode != modeOverlap && mode != modeSequential {
		return inherited{}, fmt.Errorf("%w: %s=%q is neither %q nor %q", errBadEnv, EnvMode, mode, modeOverlap, modeSequential)
	}
	in := inherited{names: names, successor: true, ppid: ppid, mode: mode}
	for i := range n {
		in.fds = append(in.fds, firstUpgradeFD+i)
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
		if err := checkName(s); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errBadEnv, name, err)
		}
	}
	return names, nil
}

// checkName enforces systemd's rule for descriptor names (FDNAME=): 1 to 255 printable ASCII
// characters other than ':'.
func checkName(s string) error {
	if s == "" {
		return errors.New("a descriptor name must not be empty")
	}
	if len(s) > maxNameLen {
		return fmt.Errorf("descriptor name %.20q... is longer than %d bytes", s, maxNameLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == ':' {
			return fmt.Errorf("descriptor name %q may hold only printable ASCII other than ':'", s)
		}
	}
	return nil
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
