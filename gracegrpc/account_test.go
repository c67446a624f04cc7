package gracegrpc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracegrpc"
	"github.com/gracekit/grace/internal/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// serveShort runs an app whose one component is a Server of the test service with default
// options, added with grace.StopTimeout(limit), and waits until it is ready.
func serveShort(t *testing.T, limit time.Duration) (*echo, *gracegrpc.Server, *grpc.ClientConn, *grace.App, *testkit.Running) {
	t.Helper()
	l := testkit.Listen(t)
	e := newEcho()
	s := gracegrpc.New(l)
	s.RegisterService(&echoDesc, e)
	app := testkit.NewApp(grace.WithBudget(10 * time.Second))
	app.Add("grpc", s, grace.StopTimeout(limit))
	r := testkit.Run(t, app)
	r.Ready(t)
	return e, s, dial(t, l.Addr().String()), app, r
}

// A server added with grace.StopTimeout(300ms) and the default cut margin (500 ms): RPCs of
// 200 ms in flight at the stop finish, nothing is lost, the exit is clean. With the margin
// halved rather than clamped to a tenth of the limit, they were cut at 150 ms.
func TestShortStopTimeoutLetsShortRPCFinish(t *testing.T) {
	const n = 3
	e, _, conn, app, r := serveShort(t, 300*time.Millisecond)
	errs := make(chan error, n)
	for range n {
		go func() {
			errs <- conn.Invoke(context.Background(), "/"+echoService+"/Sleep", wrapperspb.String("200ms"), new(wrapperspb.StringValue))
		}()
	}
	waitStarted(t, e, n)
	app.Stop("test")
	for range n {
		if err := testkit.Recv(t, errs, 10*time.Second, "an rpc to return"); err != nil {
			t.Errorf("rpc in flight at the stop: %v, want it to finish", err)
		}
	}
	res := r.Wait(t)
	if res.Report.Lost != 0 || res.Report.ExitCode != grace.ExitClean || res.Err != nil {
		t.Errorf("lost %d, exit %d, err %v; want a clean stop\n%s", res.Report.Lost, res.Report.ExitCode, res.Err, res.Report)
	}
}

// An RPC still running at the cut is lost: the report says "1 rpcs lost", the exit code is
// ExitLost and Run's error matches ErrLost. An open health Watch, also ended by the stop, is not
// counted, and an RPC that finished before the stop is not either.
func TestRPCCutIsLost(t *testing.T) {
	e, s, conn, app, r := serveShort(t, 400*time.Millisecond)
	if err := conn.Invoke(context.Background(), "/"+echoService+"/Sleep", wrapperspb.String("1ms"), new(wrapperspb.StringValue)); err != nil {
		t.Fatal(err)
	}
	waitStarted(t, e, 1)
	watch, err := healthpb.NewHealthClient(conn).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Recv(); err != nil {
		t.Fatal(err)
	}
	cut := make(chan error, 1)
	go func() {
		cut <- conn.Invoke(context.Background(), "/"+echoService+"/Sleep", wrapperspb.String("1h"), new(wrapperspb.StringValue))
	}()
	waitStarted(t, e, 1)
	app.Stop("test")
	if err := testkit.Recv(t, cut, 10*time.Second, "the long rpc to end"); status.Code(err) == codes.OK {
		t.Errorf("rpc of an hour ended without error at the stop")
	}
	res := r.Wait(t)
	c := res.Report.Component("grpc")
	if c == nil || c.Account != (grace.Account{Unit: "rpcs", Lost: 1}) {
		t.Fatalf("account %+v, want 1 rpcs lost\n%s", c, res.Report)
	}
	if res.Report.Lost != 1 || res.Report.ExitCode != grace.ExitLost || !strings.Contains(res.Report.String(), "1 rpcs lost") {
		t.Errorf("lost %d, exit %d; want 1, %d\n%s", res.Report.Lost, res.Report.ExitCode, grace.ExitLost, res.Report)
	}
	if !errors.Is(res.Err, grace.ErrLost) {
		t.Errorf("Run's error %v does not match ErrLost", res.Err)
	}
	if a := s.Account(); a != c.Account {
		t.Errorf("Account after the report = %+v, want the report's %+v", a, c.Account)
	}
}

// A handler that ignores its cancelled context still runs after Stop returned: Account counts
// it, once, before and after it finally returns.
func TestStuckRPCCountedOnce(t *testing.T) {
	e, s, conn, app, r := serveShort(t, 300*time.Millisecond)
	ended := readInBackground(t, conn, "Stubborn")
	waitStarted(t, e, 1)
	app.Stop("test")
	res := r.Wait(t)
	testkit.Recv(t, ended, 10*time.Second, "the client stream to end")
	if got := res.Report.Component("grpc").Account.Lost; got != 1 {
		t.Errorf("report: %d lost, want 1\n%s", got, res.Report)
	}
	if got := s.Account().Lost; got != 1 {
		t.Errorf("while the stuck handler runs: Account lost %d, want 1", got)
	}
	close(e.release)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && gracegrpc.CallsInFlight(s) > 0 {
		time.Sleep(time.Millisecond)
	}
	if got := s.Account().Lost; got != 1 {
		t.Errorf("after the stuck handler returned: Account lost %d, want 1", got)
	}
}
