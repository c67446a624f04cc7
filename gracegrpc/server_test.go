package gracegrpc_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracegrpc"
	"github.com/gracekit/grace/internal/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Unary and streaming RPCs in flight when SIGTERM arrives all complete; a stream that watches
// Draining ends on its own with its last message.
func TestInFlightRPCsCompleteOnSIGTERM(t *testing.T) {
	l := testkit.Listen(t)
	e := newEcho()
	s := gracegrpc.New(l)
	s.RegisterService(&echoDesc, e)
	app := testkit.NewApp(grace.WithSignals(syscall.SIGTERM), grace.WithBudget(20*time.Second))
	app.Add("grpc", s, grace.StopTimeout(10*time.Second))
	r := testkit.Run(t, app)
	r.Ready(t)
	conn := dial(t, l.Addr().String())
	ctx := context.Background()

	type outcome struct {
		what string
		got  []string
		err  error
	}
	results := make(chan outcome, 10)
	var calls sync.WaitGroup
	for i := range 3 {
		calls.Go(func() {
			out := new(wrapperspb.StringValue)
			err := conn.Invoke(ctx, "/"+echoService+"/Hold", wrapperspb.String("u"+string(rune('0'+i))), out)
			results <- outcome{"Hold", []string{out.GetValue()}, err}
		})
	}
	for _, m := range []string{"Count", "Count", "Follow"} {
		calls.Go(func() {
			cs, err := openStream(ctx, conn, m)
			var got []string
			if err == nil {
				got, err = readAll(cs)
			}
			results <- outcome{m, got, err}
		})
	}
	waitStarted(t, e, 6)

	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testkit.Await(t, l.Closed(), 10*time.Second, "the listener to close after SIGTERM") // the graceful stop is under way
	close(e.release)
	calls.Wait()
	close(results)
	for r := range results {
		if r.err != nil {
			t.Errorf("%s: %v", r.what, r.err)
			continue
		}
		switch r.what {
		case "Hold":
			if len(r.got) != 1 || !strings.HasPrefix(r.got[0], "u") {
				t.Errorf("Hold answered %q", r.got)
			}
		case "Count":
			if !slices.Equal(r.got, []string{"1", "2", "3"}) {
				t.Errorf("Count streamed %q, want 1 2 3", r.got)
			}
		case "Follow":
			if len(r.got) == 0 || r.got[len(r.got)-1] != "bye" {
				t.Errorf("Follow streamed %q, want it to end with bye", r.got)
			}
		}
	}
	res := r.Wait(t)
	if res.Err != nil || res.Report.ExitCode != grace.ExitClean {
		t.Fatalf("stop not clean: %v\n%s", res.Err, res.Report)
	}
	t.Logf("report:\n%s", res.Report)
	if c := res.Report.Component("grpc"); c.LeftBehind != 0 {
		t.Errorf("%d goroutines left behind by the server", c.LeftBehind)
	}
	if res.Report.Trigger.Kind != grace.TriggerSignal {
		t.Errorf("trigger %v, want the signal", res.Report.Trigger)
	}
}

// buildProbe builds grpc-health-probe (a tool dependency of this module).
func buildProbe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "grpc-health-probe")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/grpc-ecosystem/grpc-health-probe").CombinedOutput()
	if err != nil {
		t.Fatalf("build grpc-health-probe: %v\n%s", err, out)
	}
	return bin
}

// probe runs grpc-health-probe against addr and returns its exit code: 0 SERVING, 4 not.
func probe(t *testing.T, bin, addr, service string) int {
	t.Helper()
	cmd := exec.Command(bin, "-addr="+addr, "-service="+service, "-connect-timeout=5s", "-rpc-timeout=5s")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		t.Logf("grpc-health-probe %s: exit %d: %s", service, ee.ExitCode(), strings.TrimSpace(string(out)))
		return ee.ExitCode()
	}
	t.Fatalf("grpc-health-probe: %v", err)
	return -1
}

// gate is a Quieter the test holds: the drain delay lasts until the test closes it, so checks
// made during the drain run while the server still listens.
type gate chan struct{}

func (g gate) Quiet() <-chan struct{} { return g }

// Health: SERVING once started; at the drain, Watch clients (of "" and of a service) receive
// NOT_SERVING and then see their stream end — while the listener is still open — and
// grpc-health-probe reports NOT_SERVING. The ended watches do not hold the graceful stop.
func TestHealthWatchSeesNotServingBeforeListenerCloses(t *testing.T) {
	bin := buildProbe(t)
	l := testkit.Listen(t)
	s := gracegrpc.New(l)
	s.RegisterService(&echoDesc, newEcho())
	g := make(gate)
	app := testkit.NewApp(grace.WithBudget(40*time.Second), grace.WithDrainDelay(30*time.Second))
	app.Add("grpc", s, grace.StopTimeout(5*time.Second))
	app.Add("gate", g, grace.Independent())
	r := testkit.Run(t, app)
	r.Ready(t)
	addr := l.Addr().String()
	conn := dial(t, addr)
	hc := healthgrpc.NewHealthClient(conn)
	ctx := context.Background()

	for _, svc := range []string{"", echoService} {
		if code := probe(t, bin, addr, svc); code != 0 {
			t.Fatalf("probe %q before the stop: exit %d, want 0 (SERVING)", svc, code)
		}
	}
	watch := func(svc string, first chan<- struct{}) watched {
		w := watched{svc: svc}
		stream, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil {
			w.end = err
			close(first)
			return w
		}
		for {
			resp, err := stream.Recv()
			if err != nil {
				w.end = err
				return w
			}
			w.statuses = append(w.statuses, resp.GetStatus())
			if len(w.statuses) == 1 {
				close(first)
			}
			if resp.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
				w.closed = l.IsClosed()
			}
		}
	}
	results := make(chan watched, 3)
	for _, svc := range []string{"", echoService} {
		first := make(chan struct{})
		go func() { results <- watch(svc, first) }()
		testkit.Await(t, first, 10*time.Second, "the first status of the watch of "+svc)
	}

	app.Stop("test")
	testkit.Await(t, app.Await(grace.PhaseDraining), 10*time.Second, "the drain")
	next := func() watched {
		t.Helper()
		return testkit.Recv(t, results, 10*time.Second, "a health watch to end after the drain began")
	}
	for range 2 {
		checkWatch(t, next(), healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING)
	}
	// A watch opened during the drain gets NOT_SERVING at once, and ends too.
	go func() { results <- watch("", make(chan struct{})) }()
	checkWatch(t, next(), healthpb.HealthCheckResponse_NOT_SERVING)
	for _, svc := range []string{"", echoService} {
		if code := probe(t, bin, addr, svc); code != 4 {
			t.Errorf("probe %q while draining: exit %d, want 4 (NOT_SERVING)", svc, code)
		}
	}
	if l.IsClosed() {
		t.Fatal("listener closed during the drain delay")
	}
	close(g)
	res := r.Wait(t)
	if res.Err != nil || res.Report.ExitCode != grace.ExitClean {
		t.Fatalf("stop not clean (a watch held GracefulStop?): %v\n%s", res.Err, res.Report)
	}
	if !l.IsClosed() {
		t.Error("listener still open after the stop")
	}
}

// watched is what a health Watch client saw.
type watched struct {
	svc      string
	statuses []healthpb.HealthCheckResponse_ServingStatus
	end      error
	closed   bool // whether the listener was closed when NOT_SERVING arrived
}

func checkWatch(t *testing.T, w watched, want ...healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	if !slices.Equal(w.statuses, want) {
		t.Errorf("watch %q saw %v, want %v", w.svc, w.statuses, want)
	}
	if w.closed {
		t.Errorf("watch %q saw NOT_SERVING only after the listener had closed", w.svc)
	}
	if status.Code(w.end) != codes.Unavailable {
		t.Errorf("watch %q ended with %v, want UNAVAILABLE from the drain", w.svc, w.end)
	}
}

// serveEcho runs an app whose one component is a Server of the test service, with the cut
// margin given and a stop limit of 3 s — long enough that grace.CutAt keeps a margin of up to
// 300 ms whole, time for the cut to finish on a loaded machine — and waits until it is ready.
// It returns the service, the listener, a client connection, the app and its run.
func serveEcho(t *testing.T, cutMargin time.Duration) (*echo, *testkit.Listener, *grpc.ClientConn, *grace.App, *testkit.Running) {
	t.Helper()
	l := testkit.Listen(t)
	e := newEcho()
	s := gracegrpc.New(l, gracegrpc.WithCutMargin(cutMargin))
	s.RegisterService(&echoDesc, e)
	app := testkit.NewApp(grace.WithBudget(10 * time.Second))
	app.Add("grpc", s, grace.StopTimeout(3*time.Second))
	r := testkit.Run(t, app)
	r.Ready(t)
	return e, l, dial(t, l.Addr().String()), app, r
}

// A stream that never ends is cut at the cut margin before the stop deadline; Stop's error, and
// so the report, names it; an RPC that finishes in time is not cut.
func TestNeverEndingStreamIsCutAndNamed(t *testing.T) {
	e, l, conn, app, r := serveEcho(t, 300*time.Millisecond)
	ctx := context.Background()

	forever := readInBackground(t, conn, "Forever")
	held := make(chan error, 1)
	go func() {
		held <- conn.Invoke(ctx, "/"+echoService+"/Hold", wrapperspb.String("x"), new(wrapperspb.StringValue))
	}()
	waitStarted(t, e, 2)
	app.Stop("test")
	testkit.Await(t, l.Closed(), 10*time.Second, "the listener to close")
	close(e.release)
	if err := testkit.Recv(t, held, 10*time.Second, "Hold to return"); err != nil {
		t.Errorf("Hold, released during the graceful stop: %v", err)
	}
	if err := testkit.Recv(t, forever, 10*time.Second, "Forever to end"); status.Code(err) != codes.Unavailable {
		t.Errorf("Forever ended with %v, want UNAVAILABLE from the hard stop", err)
	}
	res := r.Wait(t)
	if res.Report.ExitCode != grace.ExitLost {
		t.Errorf("exit code %d, want %d (an rpc was lost)\n%s", res.Report.ExitCode, grace.ExitLost, res.Report)
	}
	var cut *gracegrpc.CutError
	if !errors.As(res.Err, &cut) {
		t.Fatalf("Run's error %v is not a *CutError\n%s", res.Err, res.Report)
	}
	if len(cut.Methods) != 1 || cut.Methods[0].Method != "/"+echoService+"/Forever" || cut.Methods[0].Kind != gracegrpc.KindServerStream {
		t.Errorf("cut %+v, want only the Forever server stream", cut.Methods)
	}
	var ce grace.CutError = cut
	if n, unit := ce.Cut(); !errors.Is(res.Err, grace.ErrCut) || errors.Is(res.Err, grace.ErrTimeout) || n != 1 || unit != "rpcs" {
		t.Errorf("Run's error %v: matches ErrCut %v, ErrTimeout %v, Cut %d %q; want ErrCut only, 1 rpcs",
			res.Err, errors.Is(res.Err, grace.ErrCut), errors.Is(res.Err, grace.ErrTimeout), n, unit)
	}
	c := res.Report.Component("grpc")
	if c == nil || c.State != grace.StateStopped || c.TimedOut {
		t.Fatalf("report of grpc: %+v, want stopped within its limit, not timed out", c)
	}
	if !strings.Contains(c.Error, "/"+echoService+"/Forever (server stream, running") || !strings.Contains(res.Report.String(), "Forever") {
		t.Errorf("report does not name the cut stream:\n%s", res.Report)
	}
	t.Logf("report:\n%s", res.Report)
}

func TestDrainingOutsideAServerIsNil(t *testing.T) {
	if ch := gracegrpc.Draining(context.Background()); ch != nil {
		t.Fatalf("Draining(Background) = %v, want nil", ch)
	}
}

// Bad options are a configuration error, all of them named, and nothing starts. Outside an
// app, Start refuses them too and closes the listener.
func TestBadOptionsAreAConfigurationError(t *testing.T) {
	l := testkit.Listen(t)
	s := gracegrpc.New(l, gracegrpc.WithCutMargin(-time.Second), gracegrpc.WithWatchEndTimeout(0))
	app := testkit.NewApp()
	started := false
	app.Add("first", grace.Hook{OnStart: func(context.Context) error { started = true; return nil }})
	app.Add("grpc", s)
	rep, err := app.Run(context.Background())
	if rep.ExitCode != grace.ExitStartFailed || !errors.Is(err, grace.ErrInvalid) {
		t.Fatalf("exit %d, err %v; want a configuration error", rep.ExitCode, err)
	}
	for _, want := range []string{`component "grpc": cut margin must be positive, got -1s`, "watch end timeout must be positive, got 0s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if started {
		t.Error("a component started despite the bad configuration")
	}
	if err := s.Start(context.Background()); err == nil || err.Error() != s.Validate().Error() {
		t.Errorf("Start = %v, want Validate's error", err)
	}
	if !l.IsClosed() {
		t.Error("listener left open after the failed Start")
	}
	nilLis := gracegrpc.New(nil)
	app = testkit.NewApp()
	app.Add("grpc", nilLis)
	if _, err := app.Run(context.Background()); !errors.Is(err, grace.ErrInvalid) || !strings.Contains(err.Error(), "listener is nil") {
		t.Errorf("nil listener: err %v", err)
	}
}

// With a quiet period, the drain delay ends once no RPC has arrived for that long; RPCs during
// the drain are still served and push the end back; health checks do not count as traffic.
func TestQuietPeriodEndsTheDrainDelay(t *testing.T) {
	l := testkit.Listen(t)
	e := newEcho()
	close(e.release) // Hold answers at once
	s := gracegrpc.New(l, gracegrpc.WithQuietPeriod(300*time.Millisecond))
	s.RegisterService(&echoDesc, e)
	app := testkit.NewApp(grace.WithBudget(40*time.Second), grace.WithDrainDelay(30*time.Second))
	app.Add("grpc", s)
	r := testkit.Run(t, app)
	r.Ready(t)
	conn := dial(t, l.Addr().String())
	ctx := context.Background()

	app.Stop("test")
	testkit.Await(t, app.Await(grace.PhaseDraining), 10*time.Second, "the drain")
	for range 3 {
		if err := conn.Invoke(ctx, "/"+echoService+"/Hold", wrapperspb.String("x"), new(wrapperspb.StringValue)); err != nil {
			t.Fatalf("RPC during the drain: %v", err)
		}
		// The phase turns before the Drain hooks run (each in a goroutine of its own): the
		// first look may come before the server's hook; the status must turn, and stay turned.
		testkit.Until(t, 10*time.Second, "health to say NOT_SERVING during the drain", func() bool {
			resp, err := healthgrpc.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING
		})
		testkit.Recv(t, e.started, 10*time.Second, "Hold to start")
	}
	res := r.Wait(t)
	if res.Err != nil {
		t.Fatalf("stop: %v\n%s", res.Err, res.Report)
	}
	if res.Report.DelayEndedBy != "quiet" {
		t.Errorf("drain delay ended by %q, want quiet\n%s", res.Report.DelayEndedBy, res.Report)
	}
}

// A handler that ignores its cancelled context does not make the stop overrun: Stop still
// returns before the deadline (the component is stopped, not abandoned), naming it as stuck.
func TestStuckHandlerIsNamedWithinTheLimit(t *testing.T) {
	e, _, conn, app, r := serveEcho(t, 300*time.Millisecond)
	defer close(e.release) // lets the stuck handler end after the test
	ended := readInBackground(t, conn, "Stubborn")
	waitStarted(t, e, 1)
	app.Stop("test")
	res := r.Wait(t)
	if err := testkit.Recv(t, ended, 10*time.Second, "the client stream to end"); status.Code(err) != codes.Unavailable {
		t.Error("client stream not ended by the hard stop")
	}
	c := res.Report.Component("grpc")
	if c == nil || c.State != grace.StateStopped {
		t.Fatalf("report of grpc: %+v, want stopped, not abandoned\n%s", c, res.Report)
	}
	var cut *gracegrpc.CutError
	if !errors.As(res.Err, &cut) || len(cut.Stuck) != 1 || cut.Stuck[0].Method != "/"+echoService+"/Stubborn" {
		t.Fatalf("error %v: want the Stubborn stream named as stuck", res.Err)
	}
	if !strings.Contains(c.Error, "ignoring their cancelled context, still running: /"+echoService+"/Stubborn") {
		t.Errorf("report error %q does not name the stuck handler", c.Error)
	}
}

// TestContracts: a Server is the grace interfaces its doc comment names, and its CutError, wrapped
// as a stop error, is a cut error (grace.ErrCut, grace.CutError) counting the RPCs of every method.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracegrpc.Server{}, (*grace.Validator)(nil), (*grace.Starter)(nil), (*grace.Runner)(nil), (*grace.Drainer)(nil),
		(*grace.Quieter)(nil), (*grace.Stopper)(nil), (*grace.Accounter)(nil), (*grpc.ServiceRegistrar)(nil))
	testkit.CutErrors(t, 3, "rpcs", &gracegrpc.CutError{Methods: []gracegrpc.CutMethod{{Method: "/s.S/A", Count: 2}, {Method: "/s.S/B", Count: 1}}})
}
