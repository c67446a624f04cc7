package gracesystemd_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracesystemd"
)

// A service that systemd can start by socket activation, and that also runs without it: when
// Listeners returns none, the service binds its own port. A plain *http.Server serves the
// listener here; gracehttp accepts the same listeners as an option.
func ExampleListeners() {
	ls, err := gracesystemd.Listeners()
	if err != nil {
		fmt.Println(err)
		return
	}
	if len(ls) == 0 { // not socket-activated
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println(err)
			return
		}
		ls = append(ls, l)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hello")
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ls[0]) }()

	resp, err := http.Get("http://" + ls[0].Addr().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	srv.Shutdown(context.Background())
	fmt.Println(errors.Is(<-served, http.ErrServerClosed))
	// Output:
	// hello
	// true
}

// The Notifier is a foundation (grace.StopsLast), so every other component depends on it: it
// reports READY=1 after they all started and keeps notifying until they all stopped. As a
// grace.Observer it is given the app's events, so its statuses name the trigger and the
// components still stopping. Under systemd, the unit would say Type=notify; here NOTIFY_SOCKET
// is unset and the Notifier is silent.
func ExampleNotifier() {
	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.DiscardHandler)))
	app.Add("systemd", gracesystemd.New(app,
		gracesystemd.WithTimeoutStopSec(30*time.Second), // the unit's TimeoutStopSec
		gracesystemd.WithExtendTimeout(10*time.Second)), grace.StopsLast())
	app.Add("worker", grace.RunFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}))
	go func() {
		<-app.Await(grace.PhaseReady)
		app.Stop("example")
	}()
	rep, err := app.Run(context.Background())
	fmt.Println(rep.ExitCode, err)
	// Output: 0 <nil>
}

// A service whose listener survives `systemctl restart` in systemd's file-descriptor store (the
// unit sets FileDescriptorStoreMax=). Outside systemd, as here, the FDStore simply listens.
func ExampleFDStore() {
	var store gracesystemd.FDStore
	l, err := store.Listen("tcp", "127.0.0.1:0", "web") // after a restart: the same socket, by name
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	// Once every listener is made: names an earlier version stored and this one no longer uses
	// leave the store.
	dropped, err := store.Prune()
	fmt.Println("dropped:", dropped, err)

	_, err = store.Listen("tcp", "127.0.0.1:0", "web")
	fmt.Println(errors.Is(err, gracesystemd.ErrNameInUse))
	// Output:
	// dropped: [] <nil>
	// true
}
