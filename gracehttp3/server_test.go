package gracehttp3_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp3"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/quic-go/quic-go/http3"
)

// certs returns a server TLS config with a fresh self-signed certificate for 127.0.0.1, and a
// client config that trusts it.
func certs(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "grace test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

// setup adds an HTTP/3 server with handler h to app and returns its base URL and a client using
// quic-go's own transport.
func setup(t *testing.T, app *grace.App, h http.Handler, copts ...grace.ComponentOption) (*gracehttp3.Server, string, *http.Client) {
	t.Helper()
	stls, ctls := certs(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gracehttp3.New(&http3.Server{Handler: h, TLSConfig: stls}, gracehttp3.WithPacketConn(pc), gracehttp3.WithHealth(app))
	app.Add("h3", srv, copts...)
	tr := &http3.Transport{TLSClientConfig: ctls}
	t.Cleanup(func() { tr.Close() })
	return srv, "https://" + pc.LocalAddr().String(), &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func get(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Streams in flight when the stop comes finish after the GOAWAY; readiness is 503 during the
// drain while the server still serves; the stop is clean and waits for no deadline.
func TestStreamsInFlightFinishAfterGoaway(t *testing.T) {
	const n = 8
	entered, release := make(chan struct{}, n), make(chan struct{})
	app := testkit.NewApp(grace.WithDrainDelay(300 * time.Millisecond))
	srv, base, c := setup(t, app, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		io.WriteString(w, "done")
	}), grace.StopTimeout(20*time.Second))
	run := testkit.Run(t, app)
	run.Ready(t)
	if code, body, err := get(c, base+"/readyz"); code != 200 || strings.TrimSpace(body) != "ready" {
		t.Fatalf("readiness: %d %q %v", code, body, err)
	}
	var wg sync.WaitGroup
	failed := make(chan string, n)
	for range n {
		wg.Go(func() {
			if code, body, err := get(c, base+"/work"); code != 200 || body != "done" {
				failed <- body + " " + errString(err)
			}
		})
	}
	for range n {
		testkit.Recv(t, entered, 10*time.Second, "requests to enter the handler")
	}
	app.Stop("test")
	testkit.Await(t, srv.Draining(), 10*time.Second, "the drain")
	if code, _, err := get(c, base+"/readyz"); code != 503 {
		t.Errorf("readiness while draining: %d %v", code, err)
	}
	testkit.Await(t, app.Await(grace.PhaseStopping), 10*time.Second, "the stop")
	close(release)
	wg.Wait()
	close(failed)
	for f := range failed {
		t.Errorf("a request in flight failed: %s", f)
	}
	rep := run.Wait(t).Report
	testkit.StoppedWithin(t, rep, "h3", 10*time.Second)
	if rep.ExitCode != grace.ExitClean || rep.Lost != 0 {
		t.Errorf("exit %d, lost %d\n%s", rep.ExitCode, rep.Lost, rep)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A request still running at the cut point is cancelled with ErrHardStop, named and counted as
// lost; the app exits with ExitLost.
func TestSlowStreamIsCutNamedAndCounted(t *testing.T) {
	entered := make(chan struct{}, 1)
	cause := make(chan error, 1)
	app := testkit.NewApp()
	_, base, c := setup(t, app, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
			cause <- context.Cause(r.Context())
		case <-time.After(20 * time.Second):
		}
	}), grace.StopTimeout(time.Second))
	run := testkit.Run(t, app)
	run.Ready(t)
	go get(c, base+"/slow")
	testkit.Recv(t, entered, 10*time.Second, "the request to enter the handler")
	app.Stop("test")
	if err := testkit.Recv(t, cause, 10*time.Second, "the handler's context to end"); !errors.Is(err, gracehttp3.ErrHardStop) {
		t.Errorf("cause %v, want ErrHardStop", err)
	}
	rep := run.Wait(t).Report
	var cut *gracehttp3.CutError
	if !errors.As(rep.Err, &cut) || len(cut.Requests) != 1 || cut.Requests[0].Path != "/slow" {
		t.Errorf("cut: %v", rep.Err)
	}
	if rep.ExitCode != grace.ExitLost || rep.Lost != 1 {
		t.Errorf("exit %d, lost %d\n%s", rep.ExitCode, rep.Lost, rep)
	}
}

func TestBadOptions(t *testing.T) {
	app := testkit.NewApp()
	app.Add("h3", gracehttp3.New(&http3.Server{}, gracehttp3.WithCancelMargin(0)))
	_, err := app.Run(t.Context())
	if !errors.Is(err, grace.ErrInvalid) || !strings.Contains(err.Error(), "TLSConfig") || !strings.Contains(err.Error(), "no address") || !strings.Contains(err.Error(), "cancel margin") {
		t.Fatalf("err %v", err)
	}
}
