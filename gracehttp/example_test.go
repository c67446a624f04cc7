package gracehttp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
)

// A grace app serving HTTP: readiness turns 503 while the app drains, responses ask clients to
// reconnect elsewhere, and the stop waits for the requests in flight.
func ExampleNew() {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })

	ln, _ := net.Listen("tcp", "127.0.0.1:0") // or leave it out: Start listens on Server.Addr
	app := grace.New(grace.WithDrainDelay(time.Second), grace.WithSignals())
	app.Add("http", gracehttp.New(&http.Server{Handler: mux},
		gracehttp.WithListener(ln),
		gracehttp.WithHealth(app),                       // /livez and /readyz
		gracehttp.WithQuietPeriod(200*time.Millisecond), // end the delay once traffic stopped
	))
	done := make(chan *grace.Report)
	go func() { rep, _ := app.Run(context.Background()); done <- rep }()
	<-app.Await(grace.PhaseReady)

	resp, _ := http.Get("http://" + ln.Addr().String() + "/hello")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(string(body))

	app.Stop("example") // as SIGTERM would
	rep := <-done
	fmt.Println("exit:", grace.ExitCodeName(rep.ExitCode), "- delay ended by", rep.DelayEndedBy)
	// Output:
	// hello
	// exit: clean - delay ended by quiet
}

// Health mounted on the application's own mux, at custom paths. Give the Server the same path
// options (or WithExempt) so health checks stay out of drain accounting.
func ExampleHealth() {
	app := grace.New()
	mux := http.NewServeMux()
	health := gracehttp.Health(app, gracehttp.WithReadyPath("/ready"))
	mux.Handle("/ready", health)
	mux.Handle("/livez", health)

	rec := &recorder{header: http.Header{}}
	req, _ := http.NewRequest("GET", "/ready", nil)
	mux.ServeHTTP(rec, req)
	fmt.Print(rec.status, " ", rec.body.String()) // the app has not started
	// Output: 503 not ready: idle
}

// CopyContext streams until its context ends, even while the source blocks.
func ExampleCopyContext() {
	src, peer := net.Pipe() // a source that sends a little, then nothing
	defer src.Close()
	defer peer.Close()
	go peer.Write([]byte("first chunk\n"))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var dst strings.Builder
	n, err := gracehttp.CopyContext(ctx, &dst, src)
	fmt.Printf("%d bytes: %q, %v\n", n, dst.String(), err)
	// Output: 12 bytes: "first chunk\n", context deadline exceeded
}

// A long poll that answers early when the server begins to drain, so clients reconnect to an
// instance that stays.
func ExampleDraining() {
	events := make(chan string) // nothing ever arrives in this example
	longPoll := func(w http.ResponseWriter, r *http.Request) {
		select {
		case ev := <-events:
			io.WriteString(w, ev)
		case <-gracehttp.Draining(r.Context()):
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case <-r.Context().Done(): // the client left, or the stop's deadline is near
		}
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	s := gracehttp.New(&http.Server{Handler: http.HandlerFunc(longPoll)}, gracehttp.WithListener(ln))
	s.Start(context.Background())

	answered := make(chan int)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/poll")
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond) // the poll is waiting
	s.Drain(context.Background())
	fmt.Println("long poll answered", <-answered)
	s.Stop(context.Background())
	// Output: long poll answered 503
}

// A request still running at the hard stop is cut and counted: the report says what was lost
// and the exit code is grace.ExitLost, so a deploy that dropped work does not look clean.
func ExampleServer_Account() {
	entered := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // a handler that would run past the stop limit
		http.Error(w, "cut", http.StatusServiceUnavailable)
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	quiet := slog.New(slog.DiscardHandler)
	app := grace.New(grace.WithSignals(), grace.WithLogger(quiet))
	app.Add("http", gracehttp.New(&http.Server{Handler: slow}, gracehttp.WithListener(ln), gracehttp.WithLogger(quiet)),
		grace.StopTimeout(200*time.Millisecond))
	done := make(chan *grace.Report)
	go func() { rep, _ := app.Run(context.Background()); done <- rep }()
	<-app.Await(grace.PhaseReady)

	answered := make(chan struct{})
	go func() {
		defer close(answered)
		if resp, err := http.Get("http://" + ln.Addr().String() + "/report"); err == nil {
			resp.Body.Close() // 503, or no answer at all if the connection was closed first
		}
	}()
	<-entered
	app.Stop("deploy")
	rep := <-done
	<-answered
	fmt.Println("http:", rep.Component("http").Account)
	fmt.Println("exit:", rep.ExitCode, grace.ExitCodeName(rep.ExitCode))
	// Output:
	// http: 1 requests lost
	// exit: 6 lost work
}

// A Server reports every problem with its options before anything starts; in an app, the app's
// configuration error lists them under the component's name.
func ExampleServer_Validate() {
	s := gracehttp.New(&http.Server{}, gracehttp.WithCutMargin(-time.Second), gracehttp.WithLinger(0))
	fmt.Println(s.Validate())
	// Output: invalid configuration: cut margin must be positive, got -1s; linger must be positive, got 0s
}
