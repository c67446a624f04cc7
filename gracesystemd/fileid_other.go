//go:build !unix

package gracesystemd

import "os"

type fileID struct{}

func idOf(*os.File) (fileID, bool) { return fileID{}, false }
