//go:build unix

package gracefx_test

import "syscall"

const sigTERM = syscall.SIGTERM
