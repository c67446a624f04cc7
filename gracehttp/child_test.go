package gracehttp_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
)

const childEnv = "GRACEHTTP_TEST_CHILD"

// childMain is the test binary run as a child: a grace app serving HTTP on a free port, which
// prints its address and exits through App.Main on SIGTERM.
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
		fmt.Printf("addr %s\n", ln.Addr())
	}()
	app.Main()
}

// TestSIGTERMEndToEnd re-runs the test binary as a child serving HTTP through grace, sends it a
// real SIGTERM while requests are in flight, and checks every request got its whole response
// and the child exited cleanly.
func TestSIGTERMEndToEnd(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	exited := make(chan struct{})
	go func() { waited <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
				lines <- a
			}
		}
	}()
	var addr string
	select {
	case addr = <-lines:
	case err := <-waited:
		t.Fatalf("child exited early: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("no address from the child after 20s; its stderr:\n%s", stderr.String())
	}
	c := client(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			id := fmt.Sprint(i)
			status, body, err := get(c, "http://"+addr+"/slow?id="+id)
			if err == nil && (status != 200 || body != payload(id, 32<<10)) {
				err = fmt.Errorf("status %d, %d bytes", status, len(body))
			}
			if err != nil {
				errs <- fmt.Errorf("request %s: %w", id, err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // the requests are in the handlers' 400 ms sleep
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := within(t, waited, 10*time.Second, "child exit"); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "report.exit_code=0") || !strings.Contains(stderr.String(), "report.http.state=stopped") {
		t.Errorf("child's report does not say clean:\n%s", stderr.String())
	}
}
