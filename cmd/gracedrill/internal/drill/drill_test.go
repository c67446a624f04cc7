package drill_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/drill"
	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// TestMain doubles the test binary as a service: "TESTBINARY serve PORT" answers 200 to
// everything and, on SIGTERM, turns not ready, waits 400 ms, shuts down and exits 0.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "serve" {
		os.Exit(serve(os.Args[2]))
	}
	goleak.VerifyTestMain(m)
}

func serve(port string) int {
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		return 1
	}
	draining := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-draining:
			if r.URL.Path == "/readyz" {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	<-sigs
	close(draining)
	time.Sleep(400 * time.Millisecond)
	if err := srv.Shutdown(context.Background()); err != nil {
		return 1
	}
	return 0
}

func parse(t *testing.T, args ...string) config.Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(append(args, "--quiet", "--", exe, "serve", "{port}"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRunRecordsEveryPhase(t *testing.T) {
	port, err := process.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := parse(t, "run", "--url", "http://127.0.0.1:"+strconv.Itoa(port), "--rate", "100", "--duration", "2s",
		"--signal-at", "500ms", "--lb-interval", "100ms")
	res, err := drill.Run(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	st, ok := s.First()
	if !ok || st.SignalToNotReady == nil || st.SignalToLBNotReady == nil || st.SignalToListenerClosed == nil ||
		st.SignalToExit == nil || st.ExitCode == nil || *st.ExitCode != 0 {
		t.Fatalf("stop %+v: want every phase observed and exit code 0", st)
	}
	if !(*st.SignalToNotReady < *st.SignalToListenerClosed && *st.SignalToLBNotReady < *st.SignalToListenerClosed) {
		t.Fatalf("phases out of order: not ready %v, lb out %v, listener closed %v", *st.SignalToNotReady, *st.SignalToLBNotReady, *st.SignalToListenerClosed)
	}
	if s.Requests == 0 || s.Requests != s.OK+s.Failed || (s.Verdict == summary.Pass) != (len(s.Reasons) == 0) {
		t.Fatalf("summary %+v", s)
	}
}

func TestRolloutWithoutHAProxyFailsAndReaps(t *testing.T) {
	c := parse(t, "rollout", "--instances", "2", "--haproxy", "/nonexistent/haproxy")
	_, err := drill.Rollout(context.Background(), c, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "haproxy") {
		t.Fatalf("Rollout = %v, want an error naming haproxy", err)
	}
	// goleak in TestMain checks that no watcher, waiter or load goroutine was left behind.
}
