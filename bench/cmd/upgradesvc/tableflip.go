package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cloudflare/tableflip"
)

// runTableflip follows tableflip's documentation (its package example): Upgrade on SIGHUP,
// Listen through the upgrader, Ready once serving, and on Exit a shutdown with a deadline.
func runTableflip(addr, pidFile string) int {
	upg, err := tableflip.New(tableflip.Options{PIDFile: pidFile})
	if err != nil {
		log.Print(err)
		return 1
	}
	defer upg.Stop()

	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGHUP)
		for range sig {
			if err := upg.Upgrade(); err != nil {
				log.Println("upgrade failed:", err)
			}
		}
	}()

	ln, err := upg.Listen("tcp", addr)
	if err != nil {
		log.Print("can't listen: ", err)
		return 1
	}
	server := http.Server{Handler: handler()}
	go func() {
		if err := server.Serve(ln); err != http.ErrServerClosed {
			log.Println("HTTP server:", err)
		}
	}()
	if err := upg.Ready(); err != nil {
		log.Print(err)
		return 1
	}
	<-upg.Exit()

	// A deadline on exiting once Exit is closed: no new upgrade can happen until the parent exits.
	time.AfterFunc(budget, func() { log.Println("graceful shutdown timed out"); os.Exit(1) })
	_ = server.Shutdown(context.Background())
	return 0
}
