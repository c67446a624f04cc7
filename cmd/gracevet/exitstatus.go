package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// The multichecker driver exits 3 when it reports diagnostics; go vet exits 1. To keep go vet's
// status without reimplementing the driver, a standalone run executes itself once more with
// childEnv set and maps the child's status. Runs under go vet (a .cfg unit, -V=full, -flags)
// already have go vet's status and run directly.
const childEnv = "GRACEVET_CHILD"

// diagnosticsFound is the multichecker's status for "ran, and reported diagnostics".
const diagnosticsFound = 3

// standalone reports whether args are a standalone run (packages to load) rather than one of go
// vet's calls or a help request.
func standalone(args []string) bool {
	for _, a := range args {
		flag := strings.TrimLeft(a, "-")
		if a != flag && (flag == "flags" || strings.HasPrefix(flag, "V=") || flag == "V") {
			return false
		}
	}
	if len(args) == 0 {
		return false
	}
	last := args[len(args)-1]
	return !strings.HasSuffix(last, ".cfg") && last != "help" && !(len(args) >= 2 && args[len(args)-2] == "help")
}

// relaunch runs this executable with args as the child, forwards interrupt and terminate signals
// to it, and returns go vet's exit status for the child's.
func relaunch(args []string) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gracevet: find own executable: %v\n", err)
		return 1
	}
	cmd := exec.Command(self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), childEnv+"=1")
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "gracevet: start analysis: %v\n", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s) // the child may have exited already; Wait reports it
		case err := <-done:
			return status(err)
		}
	}
}

func status(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if code := exit.ExitCode(); code >= 0 && code != diagnosticsFound {
			return code
		}
		return 1
	default:
		fmt.Fprintf(os.Stderr, "gracevet: run analysis: %v\n", err)
		return 1
	}
}
