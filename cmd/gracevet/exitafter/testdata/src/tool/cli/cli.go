// Look-alike: command code under a cli directory may exit.
package cli

import "os"

func Run(args []string) { // want Run:"may exit"
	if len(args) == 0 {
		os.Exit(2)
	}
}
