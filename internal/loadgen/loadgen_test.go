package loadgen

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// run sends the load to url for a while and returns the counts.
func run(t *testing.T, url string) Result {
	t.Helper()
	g, err := Start(url, 200)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the load window
	return g.Stop()
}

// TestClassifiesFromRealSockets: answers, 5xx answers and refused connections are told apart, on
// both the keep-alive pool and new connections.
func TestClassifiesFromRealSockets(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("pid=1"))
	}), ReadHeaderTimeout: time.Second}
	go srv.Serve(l)
	defer srv.Close()

	ok := run(t, "http://"+l.Addr().String()+"/")
	if ok.Sent == 0 || ok.OK != ok.Sent || ok.Bodies["pid=1"] != ok.Sent || len(ok.Latencies) != ok.Sent {
		t.Fatalf("against a healthy server: %v", ok)
	}
	fail := run(t, "http://"+l.Addr().String()+"/fail")
	if fail.Sent == 0 || fail.Status5xx != fail.Sent || fail.Lost() != fail.Sent {
		t.Fatalf("against 503s: %v", fail)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close()
	refused := run(t, "http://"+addr+"/")
	if refused.Sent == 0 || refused.Refused != refused.Sent || !strings.Contains(refused.String(), "refused") {
		t.Fatalf("against a closed port: %v", refused)
	}
}

func TestRateMustBePositive(t *testing.T) {
	if _, err := Start("http://127.0.0.1:1/", 0); err == nil {
		t.Fatal("rate 0 accepted")
	}
}
