//go:build !unix

package gracesystemd

import (
	"os"
	"syscall"
)

func sendFDs(string, string, []syscall.Conn) error { return ErrUnsupported }

type fileID struct{}

func idOf(*os.File) (fileID, bool) { return fileID{}, false }
