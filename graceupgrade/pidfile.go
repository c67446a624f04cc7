package graceupgrade

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// writePIDFile replaces path with pid atomically: a temporary file in the same directory,
// renamed over it (not synced: a PID file means nothing after a crash of the machine).
func writePIDFile(path string, pid int) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.WriteString(strconv.Itoa(pid) + "\n")
	if werr == nil {
		werr = f.Chmod(0o644)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("PID file %s: %w", path, werr)
	}
	return nil
}

// removePIDFile removes path if it still names pid.
func removePIDFile(path string, pid int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Equal(bytes.TrimSpace(b), []byte(strconv.Itoa(pid))) {
		return nil
	}
	return os.Remove(path)
}
