//go:build linux

package graceupgrade_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
)

// TestClosingListenerKeepsSharedQueue, from Listen's doc: closing the listener — here by
// gracehttp's stop — closes this process's descriptor only; connections that arrive afterwards,
// and those already waiting in the accept queue, are kept for whoever holds the socket too (a
// successor, here the copy from Files), not refused or reset.
func TestClosingListenerKeepsSharedQueue(t *testing.T) {
	ln, copied := listenWithCopy(t)
	addr := ln.Addr().String()
	srv := gracehttp.New(&http.Server{Handler: http.NotFoundHandler()}, gracehttp.WithListener(ln))
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Nobody accepts now: these wait in the socket's queue.
	var conns []net.Conn
	for range 5 {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial after the server's stop: %v (the socket was closed, not just this descriptor)", err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("ping\n")); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	successor, err := net.FileListener(copied)
	if err != nil {
		t.Fatal(err)
	}
	defer successor.Close()
	done := make(chan error, 1)
	go func() {
		for range conns {
			c, err := successor.Accept()
			if err != nil {
				done <- err
				return
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			if err == nil {
				_, err = c.Write([]byte("pong " + line))
			}
			c.Close()
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || got != "pong ping\n" {
			t.Errorf("connection %d queued across the stop: %q, %v", i, got, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
