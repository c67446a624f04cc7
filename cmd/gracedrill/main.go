// Command gracedrill proves that a service stops without losing work: it starts the service,
// drives open-loop HTTP load, sends the stop signal (or rolls instances behind HAProxy), records
// every request and every shutdown phase, and says pass or fail.
//
//	gracedrill run     [flags] -- CMD ARGS...
//	gracedrill run     --url URL --trigger 'CMD' | --pid PID | --pid-file FILE [flags]
//	gracedrill rollout [flags] -- CMD ARGS...
//	gracedrill upgrade [flags] -- CMD ARGS...
//	gracedrill compare A.json B.json ... [--html FILE]
//
// Exit status: 0 when every check passed (no request failed, every stopped service exited 0
// within its budget, its own report admits no lost work), 1 otherwise, 2 for bad usage. See
// README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if len(os.Args) > 1 && os.Args[1] == "upgrade" {
		code = runUpgrade(ctx, os.Args[2:], os.Stdout, os.Stderr)
	} else {
		code = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}
