//go:build unix

package graceamqp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	"github.com/gracekit/grace/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestBrokerUnreachableAtStop stops an app — a consumer and a publisher on one connection —
// while its broker is frozen (SIGSTOP of a private broker's VM: connections stay open and nothing
// answers), cut off by a network partition, gone (every connection reset, as when the broker's
// host dies), or blocking publishers (a memory alarm: connection.blocked). Every stop ends within
// its component's limit. The consumer loses nothing — what it held goes back to the broker with
// the connection — and the publisher counts as lost exactly the messages it took and the broker
// never confirmed.
func TestBrokerUnreachableAtStop(t *testing.T) {
	const limit = 3 * time.Second
	// run runs the app on a connection that reaches the broker at url through a proxy, makes the
	// broker unreachable with unreachable, publishes a few messages, and stops the app.
	run := func(t *testing.T, url string, unreachable func(t *testing.T, p *testkit.Proxy), published func(t *testing.T, conn *graceamqp.Conn)) (*grace.Report, error) {
		a := newAdmin(t, url)
		q := a.queue(t)
		publishN(t, url, q, 200)
		u, err := neturl.Parse(url)
		if err != nil {
			t.Fatal(err)
		}
		p := testkit.StartProxy(t, u.Host)
		u.Host = p.Addr()
		conn := dial(t, u.String())
		var handled atomic.Int64
		cons := graceamqp.NewConsumer(conn, q, func(ctx context.Context, d amqp.Delivery) error {
			handled.Add(1)
			return nil
		}, graceamqp.WithPrefetch(10), graceamqp.WithLogger(testkit.QuietLogger()))
		pub := graceamqp.NewPublisher(conn, graceamqp.WithLogger(testkit.QuietLogger()))
		gc := graceamqp.NewConn(conn, graceamqp.WithLogger(testkit.QuietLogger()))
		r := testkit.RunComponents(t,
			component{Name: "amqp", C: gc, Opts: []grace.ComponentOption{grace.StopTimeout(limit)}},
			component{Name: "consumer", C: cons, Opts: []grace.ComponentOption{grace.StopTimeout(limit), grace.DependsOn("amqp")}},
			component{Name: "publisher", C: pub, Opts: []grace.ComponentOption{grace.StopTimeout(limit), grace.DependsOn("amqp")}})
		testkit.Until(t, 20*time.Second, "some messages handled", func() bool { return handled.Load() > 0 })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := pub.Publish(ctx, "", q, amqp.Publishing{Body: []byte("before")}); err != nil {
			t.Fatalf("publish with the broker there: %v", err)
		}
		unreachable(t, p)
		var accepted int64
		for range 5 {
			pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			if _, err := pub.PublishDeferred(pctx, "", q, amqp.Publishing{Body: []byte("after")}); err == nil {
				accepted++
			} else {
				t.Logf("publish after the broker went: %v", err)
			}
			cancel()
		}
		if published != nil {
			published(t, gc)
		}
		begin := time.Now()
		r.App.Stop("test")
		res := r.Wait(t)
		if took := time.Since(begin); took > 2*limit+time.Second {
			t.Errorf("the stop took %v; the limits add up to %v", took, 2*limit)
		}
		for _, name := range []string{"publisher", "consumer", "amqp"} {
			// A component that saw the broker go before its stop has failed; either way, never
			// abandoned, and its stop within its limit.
			if c := res.Report.Component(name); c.State != grace.StateStopped && c.State != grace.StateFailed || c.Stop >= limit {
				t.Errorf("%s: state %q after %v, want stopped (or failed) within %v", name, c.State, c.Stop, limit)
			}
		}
		if acc := res.Report.Component("consumer").Account; acc.Lost != 0 {
			t.Errorf("the consumer lost %d", acc.Lost)
		}
		if lost := res.Report.Component("publisher").Account.Lost; lost != accepted {
			t.Errorf("the publisher lost %d messages, want the %d it took after the broker went", lost, accepted)
		}
		if accepted > 0 && (res.Report.Lost != accepted || !errors.Is(res.Err, grace.ErrLost)) {
			t.Errorf("report: %d lost, error %v; want %d and ErrLost", res.Report.Lost, res.Err, accepted)
		}
		t.Logf("%d publishes taken after the broker went\n%s", accepted, res.Report)
		return res.Report, res.Err
	}
	t.Run("gone", func(t *testing.T) {
		rep, err := run(t, brokerURL(t), func(t *testing.T, p *testkit.Proxy) { p.Close() }, nil)
		if !errors.Is(err, graceamqp.ErrClosed) {
			t.Errorf("error %v, want the connection's close (ErrClosed):\n%s", err, rep)
		}
	})
	t.Run("partitioned", func(t *testing.T) {
		rep, err := run(t, brokerURL(t), func(t *testing.T, p *testkit.Proxy) { p.Blackhole() }, nil)
		if err == nil || rep.Lost != 5 {
			t.Errorf("lost %d (want the 5 publishes after the partition), error %v", rep.Lost, err)
		}
		if n, unit, ok := testkit.Cut(rep.Component("publisher").Err); !ok || n != 5 || unit != "messages" {
			t.Errorf("publisher's error %v: cut %d %s (a cut error: %v), want the 5 unconfirmed messages", rep.Component("publisher").Err, n, unit, ok)
		}
	})
	b := startPrivateBroker(t) // for the memory alarm and the freeze
	t.Run("blocked", func(t *testing.T) {
		rep, _ := run(t, b.url, func(t *testing.T, _ *testkit.Proxy) {
			b.ctl(t, "set_vm_memory_high_watermark", "0.0000001")
			t.Cleanup(func() { b.ctl(t, "set_vm_memory_high_watermark", "0.4") })
		}, func(t *testing.T, conn *graceamqp.Conn) {
			// The broker blocks a connection when it publishes under the alarm.
			testkit.Until(t, 20*time.Second, "the connection blocked", func() bool {
				blocked, _ := conn.Blocked()
				return blocked
			})
		})
		if rep.Lost != 5 {
			t.Errorf("lost %d, want the 5 publishes the blocked broker never confirmed", rep.Lost)
		}
	})
	t.Run("frozen", func(t *testing.T) {
		rep, err := run(t, b.url, func(t *testing.T, _ *testkit.Proxy) {
			b.freeze(t)
			t.Cleanup(b.resume) // before the test's own connections clean up
		}, nil)
		if err == nil || rep.Lost != 5 {
			t.Errorf("lost %d (want the 5 publishes after the freeze), error %v", rep.Lost, err)
		}
	})
}

// privateBroker is a rabbitmq-server of the test's own — the Debian package, started the way
// scripts/services starts the shared one — for the tests that freeze or kill their broker. It
// runs with an epmd of its own on a private port, and both are stopped by PID.
type privateBroker struct {
	url     string
	beam    int // the broker's Erlang VM (beam.smp): the process to freeze or kill
	wrapper *exec.Cmd
	epmd    *exec.Cmd
	dir     string
	env     []string      // the environment rabbitmq-server and rabbitmqctl run with
	node    string        // the broker's Erlang node name
	done    chan struct{} // closed when the wrapper (and with it the broker) has exited
}

// brokerStartWait bounds the private broker's start (it takes some 10 s on a busy 2-core machine).
const brokerStartWait = 90 * time.Second

// launchPrivateBroker starts a private broker and waits until it accepts connections.
func launchPrivateBroker() (_ *privateBroker, err error) {
	for _, bin := range []string{"rabbitmq-server", "epmd"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%s not found (install the Debian package rabbitmq-server; scripts/deps does): %v", bin, err)
		}
	}
	// The Debian wrapper runs the broker as the rabbitmq user when started by root: its
	// directory must be reachable and writable by that user, so not under a test's TempDir (0700).
	dir, err := os.MkdirTemp("", "graceamqp-broker")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := &privateBroker{dir: dir, done: make(chan struct{})}
	defer func() {
		if err != nil {
			b.stop()
		}
	}()
	var ports [3]string
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		_, ports[i], _ = net.SplitHostPort(l.Addr().String())
		l.Close()
	}
	port, dist, epmdPort := ports[0], ports[1], ports[2]
	b.epmd = exec.Command("epmd", "-address", "127.0.0.1")
	b.epmd.Env = append(os.Environ(), "ERL_EPMD_PORT="+epmdPort)
	if err := b.epmd.Start(); err != nil {
		b.epmd = nil
		return nil, fmt.Errorf("start epmd: %v", err)
	}
	b.node = "rabbit-" + filepath.Base(dir) + "@localhost"
	b.env = append(os.Environ(), "HOME="+dir, "ERL_EPMD_PORT="+epmdPort,
		"RABBITMQ_NODENAME="+b.node, "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+port, "RABBITMQ_DIST_PORT="+dist,
		"RABBITMQ_MNESIA_BASE="+filepath.Join(dir, "mnesia"), "RABBITMQ_LOG_BASE="+filepath.Join(dir, "log"),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(dir, "none"), "RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(dir, "plugins"),
		"RABBITMQ_PID_FILE="+filepath.Join(dir, "pid"))
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		return nil, err
	}
	b.wrapper = exec.Command("rabbitmq-server")
	b.wrapper.Dir = dir
	b.wrapper.Env = b.env
	b.wrapper.Stdout, b.wrapper.Stderr = out, out
	if err := b.wrapper.Start(); err != nil {
		out.Close()
		b.wrapper = nil
		return nil, fmt.Errorf("start rabbitmq-server: %v", err)
	}
	go func() { b.wrapper.Wait(); out.Close(); close(b.done) }()
	deadline := time.Now().Add(brokerStartWait)
	for {
		if pid, err := os.ReadFile(filepath.Join(dir, "pid")); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
				if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
					c.Close()
					b.beam = n
					b.url = fmt.Sprintf("amqp://guest:guest@127.0.0.1:%s/", port)
					return b, nil
				}
			}
		}
		select {
		case <-b.done:
			log, _ := os.ReadFile(filepath.Join(dir, "out"))
			return nil, fmt.Errorf("rabbitmq-server exited at start:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("rabbitmq-server not ready after %v", brokerStartWait)
		}
	}
}

// early is the private broker the test binary starts as it begins (see startEarly), so that
// its boot overlaps the tests that do not need it.
var early struct {
	ready chan struct{} // closed once b or err is set
	b     *privateBroker
	err   error
}

// startEarly starts the private broker in the background if the tests to run include one that
// needs it, and returns the function that stops it (TestMain calls it before the leak check).
func startEarly(needed bool) (stop func()) {
	early.ready = make(chan struct{})
	if !needed {
		early.err = errors.New("the private broker was not started: no test that needs it was selected")
		close(early.ready)
		return func() {}
	}
	go func() {
		early.b, early.err = launchPrivateBroker()
		close(early.ready)
	}()
	return func() {
		<-early.ready
		if early.b != nil {
			early.b.stop()
		}
	}
}

// startPrivateBroker returns the private broker, waiting for its start.
func startPrivateBroker(t *testing.T) *privateBroker {
	t.Helper()
	testkit.Await(t, early.ready, brokerStartWait+10*time.Second, "the private rabbitmq-server")
	if early.err != nil {
		t.Fatal(early.err)
	}
	return early.b
}

// ctl runs rabbitmqctl against the broker (about 3 s: it boots an Erlang VM), failing t if it
// fails.
func (b *privateBroker) ctl(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("rabbitmqctl", append([]string{"-n", b.node}, args...)...)
	cmd.Env = b.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
	}
}

func (b *privateBroker) freeze(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(b.beam, syscall.SIGSTOP); err != nil {
		t.Fatalf("freeze the broker: %v", err)
	}
	// kill(2) returns before every thread of the VM has stopped: wait until they all have, or a
	// publish sent "after the freeze" may still be confirmed.
	testkit.Until(t, 5*time.Second, "every thread of the broker's VM to stop", func() bool {
		return allStopped(b.beam)
	})
}

// allStopped reports whether every thread of process pid is stopped (state T in /proc), true
// also where /proc cannot tell.
func allStopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return true
	}
	for _, task := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue
		}
		// The state follows the command name in parentheses, which may itself hold spaces.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 || i+2 >= len(stat) {
			continue
		}
		if st := stat[i+2]; st != 'T' && st != 't' {
			return false
		}
	}
	return true
}

func (b *privateBroker) resume() { syscall.Kill(b.beam, syscall.SIGCONT) }

// kill ends the broker at once and waits at most 10 s for its wrapper to exit.
func (b *privateBroker) kill(t *testing.T) {
	t.Helper()
	if b.beam != 0 {
		syscall.Kill(b.beam, syscall.SIGKILL) // works on a frozen process too
	}
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		t.Errorf("rabbitmq-server's wrapper still running 10s after its broker was killed")
	}
}

// stop kills the broker, then its epmd, and removes its directory.
func (b *privateBroker) stop() {
	if b.wrapper != nil && b.wrapper.Process != nil {
		if b.beam != 0 {
			syscall.Kill(b.beam, syscall.SIGKILL)
		} else {
			b.wrapper.Process.Kill()
		}
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
		}
	}
	if b.epmd != nil {
		b.epmd.Process.Kill()
		b.epmd.Wait()
	}
	os.RemoveAll(b.dir)
}
