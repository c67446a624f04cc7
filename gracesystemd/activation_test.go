package gracesystemd_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracesystemd"
	"github.com/gracekit/grace/internal/testkit"
)

// childEnv, set, makes TestMain run the test binary as a socket-activated service (runChild).
const childEnv = "GRACESYSTEMD_TEST_CHILD"

// activate starts this test binary as a socket-activated service the way systemd does: the
// sockets as descriptors 3, 4, …, LISTEN_FDS and LISTEN_FDNAMES in the environment, and
// LISTEN_PID set to the service's own pid. systemd sets LISTEN_PID in the forked child before
// it execs the service; here /bin/sh plays that part — $$ is the shell's pid, and exec keeps
// the pid — so the service sees exactly what systemd would give it and nothing is faked inside
// it.
func activate(t *testing.T, mode string, files []*os.File, env ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "LISTEN_FDS="+strconv.Itoa(len(files)))
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = files
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the activated service: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &out
}

func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("wait for the service: %v", err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(waitFor):
		cmd.Process.Kill()
		testkit.Recv(t, done, waitFor, "the killed service to be reaped")
		t.Fatal("the service did not exit")
		return -1
	}
}

// answer reads the answer to the request sent on conn and returns its body; out is the
// service's output, for the failure message.
func answer(t *testing.T, conn net.Conn, out fmt.Stringer) string {
	t.Helper()
	conn.SetDeadline(time.Now().Add(waitFor))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer to the queued request: %v\nservice output:\n%s", err, out)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// listenTCP listens on a free loopback port; the listener is closed when the test ends.
func listenTCP(t *testing.T) *net.TCPListener {
	t.Helper()
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestSocketActivation hands a real listening socket to a child process as systemd would. A
// client connects and sends its request before the service even runs — the connection waits
// in the socket's backlog — and the service, once started, answers it on the inherited socket.
// The service runs a grace app with a Notifier: READY=1 comes once it serves, STOPPING=1 and a
// clean exit follow SIGTERM.
func TestSocketActivation(t *testing.T) {
	sock := listenNotify(t, false)
	l := listenTCP(t)
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", l.Addr().String()) // queued: nobody accepts yet
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}

	cmd, out := activate(t, "serve", []*os.File{f}, "LISTEN_FDNAMES=web", "NOTIFY_SOCKET="+sock.addr)
	f.Close()
	l.Close() // the service holds its own copy of the socket

	body := answer(t, conn, out)
	want := fmt.Sprintf("pid=%d name=web env=[] again=0", cmd.Process.Pid)
	if body != want {
		t.Fatalf("service answered %q, want %q", body, want)
	}
	sock.expectReady(nil)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// STOPPING=1 with the draining status naming the signal, unless the Notifier looked only
	// once components were stopping; then the stopping statuses until the end.
	got := sock.next()
	if got != "STOPPING=1\nSTATUS="+drainingStatus("signal terminated") && !strings.HasPrefix(got, "STOPPING=1\nSTATUS=stopping components") {
		t.Fatalf("notification = %q, want STOPPING=1", got)
	}
	for got != "STATUS=stopped" {
		if got = sock.next(); got != "STATUS=stopped" && !strings.HasPrefix(got, "STATUS=stopping components") {
			t.Fatalf("notification = %q, want a stopping status", got)
		}
	}
	if code := waitExit(t, cmd); code != 0 {
		t.Fatalf("service exited %d\n%s", code, out)
	}
}

// TestSocketActivationNotListener: systemd passed a datagram socket where a listener was
// expected; Listeners names the descriptor.
func TestSocketActivationNotListener(t *testing.T) {
	l := listenTCP(t)
	lf, _ := l.File()
	defer lf.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pf, _ := pc.(*net.UDPConn).File()
	defer pf.Close()
	cmd, out := activate(t, "listeners", []*os.File{lf, pf})
	if code := waitExit(t, cmd); code != 3 {
		t.Fatalf("service exited %d, want 3\n%s", code, out)
	}
	for _, want := range []string{"descriptor 4 (LISTEN_FD_4)", "not a listening stream socket", "is ErrNotListener: true"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("service output lacks %q:\n%s", want, out)
		}
	}
}

// TestListenersNotActivated: variables inherited from a parent (LISTEN_PID is not this process)
// give no listeners, and are removed so they go no further.
func TestListenersNotActivated(t *testing.T) {
	t.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()+1))
	t.Setenv("LISTEN_FDS", "1")
	t.Setenv("LISTEN_FDNAMES", "web")
	ls, err := gracesystemd.Listeners()
	if err != nil || len(ls) != 0 {
		t.Fatalf("Listeners() = %v, %v; want none, nil", ls, err)
	}
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%q still set", k, v)
		}
	}
}

// runChild is the activated service of the tests above; it returns the exit code.
func runChild(mode string) int {
	switch mode {
	case "listeners":
		_, err := gracesystemd.Listeners()
		fmt.Printf("error: %v\nis ErrNotListener: %v\n", err, errors.Is(err, gracesystemd.ErrNotListener))
		if err != nil {
			return 3
		}
		return 0
	case "serve":
		named, err := gracesystemd.NamedListeners()
		if err != nil || len(named["web"]) != 1 {
			fmt.Println("listeners:", named, err)
			return 3
		}
		var env []string
		for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
			if v, ok := os.LookupEnv(k); ok {
				env = append(env, k+"="+v)
			}
		}
		again, _ := gracesystemd.Listeners()
		msg := fmt.Sprintf("pid=%d name=web env=%v again=%d", os.Getpid(), env, len(again))
		srv := &http.Server{
			Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, msg) }),
			ReadHeaderTimeout: 5 * time.Second,
		}
		app := grace.New(grace.WithLogger(testkit.QuietLogger()))
		app.Add("systemd", gracesystemd.New(app), grace.StopsLast())
		served := make(chan error, 1)
		app.Add("http", grace.Hook{
			OnStart: func(context.Context) error {
				go func() { served <- srv.Serve(named["web"][0]) }()
				return nil
			},
			OnStop: func(ctx context.Context) error {
				err := srv.Shutdown(ctx)
				if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
					err = errors.Join(err, serr)
				}
				return err
			},
		})
		rep, err := app.Run(context.Background())
		if err != nil {
			fmt.Println(rep)
		}
		return rep.ExitCode
	}
	if mode == "fdstore" {
		return fdstoreChild()
	}
	fmt.Println("unknown child mode", mode)
	return 2
}
