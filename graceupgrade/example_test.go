//go:build linux

package graceupgrade_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/graceupgrade"
)

// A stateless HTTP service that SIGHUP upgrades in place: the listener is inherited from the
// parent when there is one, and the parent stops only once this process is ready.
func Example() {
	app := grace.New()
	up := graceupgrade.New(app) // SIGHUP: start the successor
	ln, err := up.Listen("http", "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	app.Add("upgrade", up, grace.StopsLast()) // starts first, stops last
	app.Add("http", gracehttp.New(&http.Server{Handler: http.NotFoundHandler()}, gracehttp.WithListener(ln)))
	app.Stop("example") // a real service would call app.Main() and run until SIGTERM
	rep, _ := app.Run(context.Background())
	fmt.Println("exit code", rep.ExitCode)
	// Output: exit code 0
}
