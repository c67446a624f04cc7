//go:build linux

package graceupgrade_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/graceupgrade"
)

// The test binary re-run as a service: parent and successors are real processes.
const roleVar = "GRACEUPGRADE_TEST_ROLE"

func helperMain(role string) int {
	switch role {
	case "server":
		return serverMain()
	case "probe":
		return probeMain()
	case "activated":
		return activatedMain()
	}
	fmt.Fprintln(os.Stderr, "unknown role", role)
	return 2
}

// serverMain is a small HTTP service with an Upgrader. It prints "<pid> <what>" lines to
// stdout, which every generation shares with the test. A successor reads its plan from the
// file $GU_PLAN: "exit" fails its start, "hang" never finishes it, "slow" takes 3 s.
func serverMain() int {
	pid := os.Getpid()
	say := func(format string, args ...any) {
		fmt.Fprintf(os.Stdout, "%d "+format+"\n", append([]any{pid}, args...)...)
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, nil)).With("pid", pid)
	opts := []graceupgrade.Option{
		graceupgrade.WithLogger(logger),
		graceupgrade.WithKillGrace(2 * time.Second),
		graceupgrade.WithObserver(func(e graceupgrade.Event) {
			say("event %s attempt=%d child=%d err=%v", e.Kind, e.Attempt, e.PID, e.Err)
		}),
	}
	if os.Getenv("GU_MODE") == "sequential" {
		opts = append(opts, graceupgrade.WithMode(graceupgrade.Sequential))
	}
	if d, err := time.ParseDuration(os.Getenv("GU_READY_TIMEOUT")); err == nil {
		opts = append(opts, graceupgrade.WithReadyTimeout(d))
	}
	if os.Getenv("GU_ADMIN") != "" {
		opts = append(opts, graceupgrade.WithAdmin("127.0.0.1:0", os.Getenv("GU_ADMIN_TOKEN")))
	}
	if p := os.Getenv("GU_PIDFILE"); p != "" {
		opts = append(opts, graceupgrade.WithPIDFile(p))
	}
	var up *graceupgrade.Upgrader
	var addr, udpAddr string
	app := grace.New(grace.WithLogger(logger), grace.WithBudget(10*time.Second), grace.WithStartTimeout(20*time.Second),
		grace.WithObserver(func(e grace.Event) {
			if e.Kind == grace.EventPhase && e.Phase == grace.PhaseReady {
				admin := ""
				if a := up.AdminAddr(); a != nil {
					admin = a.String()
				}
				say("ready addr=%s successor=%v admin=%s udp=%s", addr, up.Successor(), admin, udpAddr)
			}
		}))
	up = graceupgrade.New(app, opts...)
	ln, err := up.Listen("http", "tcp", "127.0.0.1:0")
	if err != nil {
		say("error %v", err)
		return 3
	}
	addr = ln.Addr().String()
	uln, err := up.Listen("unix", "unix", os.Getenv("GU_UNIX"))
	if err != nil {
		say("error %v", err)
		return 3
	}
	pc, err := up.ListenPacket("udp", "udp", "127.0.0.1:0")
	if err != nil {
		say("error %v", err)
		return 3
	}
	udpAddr = pc.LocalAddr().String()
	plan := ""
	if up.Successor() {
		if b, err := os.ReadFile(os.Getenv("GU_PLAN")); err == nil {
			plan = strings.TrimSpace(string(b))
		}
	}
	app.Add("upgrade", up, grace.StopsLast())
	var lock *os.File
	app.Add("store", grace.Hook{
		OnStart: func(ctx context.Context) error {
			if p := os.Getenv("GU_LOCK"); p != "" {
				f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
				if err != nil {
					return err
				}
				if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
					f.Close()
					say("store-locked")
					return fmt.Errorf("store is open in another process: %w", err)
				}
				lock = f
			}
			say("store-opened plan=%q", plan)
			wait := 100 * time.Millisecond
			switch plan {
			case "exit":
				return errors.New("planned start failure")
			case "hang":
				wait = time.Hour
			case "slow":
				wait = 3 * time.Second
			}
			select {
			case <-time.After(wait):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		OnStop: func(context.Context) error {
			if lock != nil {
				lock.Close()
			}
			say("store-closed")
			return nil
		},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if d, err := strconv.Atoi(r.URL.Query().Get("d")); err == nil {
			time.Sleep(time.Duration(d) * time.Millisecond)
		}
		fmt.Fprintf(w, "%d", pid)
	})
	mux.HandleFunc("/spawn", func(w http.ResponseWriter, r *http.Request) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), roleVar+"=probe")
		out, err := cmd.CombinedOutput()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(out)
	})
	app.Add("http", gracehttp.New(&http.Server{Handler: mux}, gracehttp.WithListener(ln), gracehttp.WithListener(uln),
		gracehttp.WithLogger(logger)))
	app.Add("udp", udpEcho(pc, pid))
	rep, _ := app.Run(context.Background())
	say("exit code=%d", rep.ExitCode)
	return rep.ExitCode
}

// probeMain prints the inherited-descriptor variables it sees and the sockets and pipes it
// holds above stderr.
func probeMain() int {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GRACE_UPGRADE_") || strings.HasPrefix(kv, "LISTEN_") {
			fmt.Println("env", kv)
		}
	}
	// Where a leak of ours would land: descriptors 3 and 4 (the pipes) and 5 on (the sockets).
	// Higher ones may come from the test runner.
	for fd := 3; fd < 64; fd++ {
		link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		if err == nil && (strings.HasPrefix(link, "socket:") || strings.HasPrefix(link, "pipe:")) {
			fmt.Println("fd", fd, link)
		}
	}
	fmt.Println("probe done")
	return 0
}

// activatedMain is started the way systemd starts a socket-activated service: a listening
// socket as descriptor 3, LISTEN_PID set to its own PID. It takes the socket by name, serves
// one request on it with its name, and exits.
func activatedMain() int {
	app := grace.New()
	up := graceupgrade.New(app)
	if os.Getenv("GU_PACKET") != "" {
		_, err := up.ListenPacket(os.Getenv("GU_NAME"), "udp", "127.0.0.1:0")
		fmt.Println("error", err)
		return 3
	}
	ln, err := up.Listen(os.Getenv("GU_NAME"), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		return 3
	}
	for _, k := range []string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"} {
		if v, ok := os.LookupEnv(k); ok {
			fmt.Println("still set", k, v)
		}
	}
	c, err := ln.Accept()
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Fprintf(c, "served by %d\n", os.Getpid())
	c.Close()
	ln.Close()
	fmt.Println("served", ln.Addr())
	return 0
}

// udpEcho answers each datagram with the PID of the process that read it.
func udpEcho(pc net.PacketConn, pid int) grace.Runner {
	return grace.RunFunc(func(ctx context.Context) error {
		stop := context.AfterFunc(ctx, func() { pc.Close() })
		defer stop()
		buf := make([]byte, 512)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return nil
			}
			_, _ = pc.WriteTo([]byte(strconv.Itoa(pid)), from)
		}
	})
}
