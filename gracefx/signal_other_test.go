//go:build !unix

package gracefx_test

import "os"

var sigTERM = os.Interrupt
