package sdnotify_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gracekit/grace/internal/sdnotify"
)

func TestCheckName(t *testing.T) {
	for _, name := range []string{"http", "web.socket", "a-b_c@d", strings.Repeat("x", sdnotify.MaxNameLen)} {
		if err := sdnotify.CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", "a:b", "tab\there", "é", strings.Repeat("x", sdnotify.MaxNameLen+1), "nul\x00"} {
		if err := sdnotify.CheckName(name); !errors.Is(err, sdnotify.ErrBadName) {
			t.Errorf("CheckName(%q) = %v, want ErrBadName", name, err)
		}
	}
}

// FuzzCheckName: a name that passes can go into LISTEN_FDNAMES and come back out whole.
func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"http", "", "a:b", "\x7f", "web.socket"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if sdnotify.CheckName(name) != nil {
			return
		}
		if parts := strings.Split(name+":"+name, ":"); len(parts) != 2 || parts[0] != name {
			t.Fatalf("accepted %q splits as %q", name, parts)
		}
		for _, r := range name {
			if r < ' ' || r > '~' {
				t.Fatalf("accepted %q holds %q", name, r)
			}
		}
	})
}
