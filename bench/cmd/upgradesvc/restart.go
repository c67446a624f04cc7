package main

import (
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// runRestart is stop-then-start: on SIGHUP the process shuts its server down (the listener
// closes at once, requests in flight finish), then starts a new copy of itself, which binds the
// port again, and exits. A supervisor's restart does the same from outside.
func runRestart(addr, pidFile string) int {
	var ln net.Listener
	var err error
	for range 100 { // the previous process may still hold the port for a moment
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		log.Print(err)
		return 1
	}
	server := http.Server{Handler: handler()}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		log.Print(err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGTERM)
	s := <-sig
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	_ = server.Shutdown(ctx)
	<-served
	if s == syscall.SIGHUP {
		exe, err := os.Executable()
		if err != nil {
			log.Print(err)
			return 1
		}
		cmd := exec.Command(exe, os.Args[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			log.Print(err)
			return 1
		}
		_ = cmd.Process.Release()
	}
	return 0
}
