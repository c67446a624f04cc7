package main

import (
	"io"
	"os"
	"path/filepath"
)

// binary is the drill's copy of the service's executable, at the path the service runs from,
// so that a failing upgrade can put a broken build there for one upgrade.
type binary struct{ path, good, dir string }

func newBinary(dir, exe string) (*binary, error) {
	b := &binary{path: filepath.Join(dir, filepath.Base(exe)), good: filepath.Join(dir, ".good"), dir: dir}
	src, err := os.Open(exe)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := os.OpenFile(b.good, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return nil, err
	}
	if err := dst.Close(); err != nil {
		return nil, err
	}
	return b, os.Link(b.good, b.path)
}

// replace renames a new file over the path: the running process keeps its (now unlinked) file,
// and its successor, which resolves its executable again, runs the new one.
func (b *binary) replace(write func(tmp string) error) error {
	tmp := filepath.Join(b.dir, ".next")
	_ = os.Remove(tmp)
	if err := write(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, b.path)
}

func (b *binary) breakIt(how string) error {
	script := "#!/bin/sh\necho 'gracedrill: this build fails on purpose' >&2\nexit 1\n"
	if how == failHang {
		script = "#!/bin/sh\necho 'gracedrill: this build never becomes ready' >&2\nexec sleep 3600\n"
	}
	return b.replace(func(tmp string) error { return os.WriteFile(tmp, []byte(script), 0o755) })
}

func (b *binary) restore() error {
	return b.replace(func(tmp string) error { return os.Link(b.good, tmp) })
}
