//go:build !unix

package service

import "context"

// dirLock does nothing where flock is not available: on such systems nothing keeps two
// processes off one data directory.
type dirLock struct{ dir string }

func (l *dirLock) Start(context.Context) error { return nil }
func (l *dirLock) Stop(context.Context) error  { return nil }
