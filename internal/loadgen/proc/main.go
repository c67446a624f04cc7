// Command proc runs loadgen in a process of its own: open-loop GET requests to -url at -rate per
// second from its start until its standard input closes (or SIGTERM), then the counts as JSON on
// standard output. testkit.StartLoad builds it without the race detector and drives it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gracekit/grace/internal/loadgen"
)

func main() {
	url := flag.String("url", "", "the URL to GET")
	rate := flag.Int("rate", 1000, "requests per second")
	flag.Parse()
	g, err := loadgen.Start(*url, *rate)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	stop := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stop) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	select {
	case <-stop:
	case <-sig:
	}
	if err := json.NewEncoder(os.Stdout).Encode(g.Stop()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
