package gracehttp_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// The test binary doubles as the child of TestSIGTERMEndToEnd: with childEnv set, TestMain runs
// childMain instead of the tests.
const (
	childEnv     = "GRACEHTTP_TEST_CHILD"      // set: run childMain
	childAddrEnv = "GRACEHTTP_TEST_CHILD_ADDR" // file the child writes its address to once ready
)

// childMain is the test binary run as a child: a grace app serving HTTP on a free port, which
// writes its address to the file named by childAddrEnv once ready and exits through App.Main on
// SIGTERM.
func childMain() {
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(400 * time.Millisecond)
		io.WriteString(w, payload(r.URL.Query().Get("id"), 32<<10))
	})
	ln, err := listenAddr("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	app := grace.New(grace.WithDrainDelay(200*time.Millisecond), grace.WithBudget(5*time.Second))
	app.Add("http", gracehttp.New(&http.Server{Handler: mux}, gracehttp.WithListener(ln), gracehttp.WithHealth(app)))
	go func() {
		<-app.Await(grace.PhaseReady)
		// Written whole, then renamed: the test never reads half an address.
		out := os.Getenv(childAddrEnv)
		if err := os.WriteFile(out+".tmp", []byte(ln.Addr().String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := os.Rename(out+".tmp", out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}()
	app.Main()
}

// TestSIGTERMEndToEnd re-runs the test binary as a child serving HTTP through grace, sends it a
// real SIGTERM while requests are in flight, and checks every request got its whole response
// and the child exited cleanly.
func TestSIGTERMEndToEnd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "addr")
	child := testkit.StartChild(t, childEnv+"=1", childAddrEnv+"="+out)
	var addr string
	child.PollUntil(t, 20*time.Second, "the child's address", func() bool {
		b, err := os.ReadFile(out)
		addr = string(b)
		return err == nil
	})
	c := client(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			id := fmt.Sprint(i)
			status, body, err := testkit.Get(c, "http://"+addr+"/slow?id="+id)
			if err == nil && (status != 200 || body != payload(id, 32<<10)) {
				err = fmt.Errorf("status %d, %d bytes", status, len(body))
			}
			if err != nil {
				errs <- fmt.Errorf("request %s: %w", id, err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // the requests are in the handlers' 400 ms sleep
	child.Signal(t, syscall.SIGTERM)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := child.Wait(t, 10*time.Second); err != nil {
		t.Fatalf("child: %v\n%s", err, child.Stderr())
	}
	if !strings.Contains(child.Stderr(), "report.exit_code=0") || !strings.Contains(child.Stderr(), "report.http.state=stopped") {
		t.Errorf("child's report does not say clean:\n%s", child.Stderr())
	}
}
