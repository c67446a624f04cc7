//go:build !unix

package gracesystemd

import (
	"os"
	"syscall"
	"time"
)

func sendFDs(string, string, []syscall.Conn) error { return ErrUnsupported }

type fileID struct{}

func idOf(*os.File) (fileID, bool) { return fileID{}, false }

func barrier(time.Duration) error { return nil }
