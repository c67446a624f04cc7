package sdnotify

import (
	"errors"
	"fmt"
)

// MaxNameLen is systemd's limit for a descriptor name (FDNAME=, LISTEN_FDNAMES).
const MaxNameLen = 255

// ErrBadName is matched by [CheckName]'s error.
var ErrBadName = errors.New("bad file-descriptor name")

// CheckName reports whether systemd accepts name as a descriptor name (fdname_is_valid): 1 to
// [MaxNameLen] bytes of printable ASCII other than ':'. The error matches [ErrBadName] and
// quotes the name.
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrBadName)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: %.20q... is %d bytes, more than %d", ErrBadName, name, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < ' ' || c > '~' || c == ':' {
			return fmt.Errorf("%w: %q holds %q (only printable ASCII other than ':')", ErrBadName, name, c)
		}
	}
	return nil
}
