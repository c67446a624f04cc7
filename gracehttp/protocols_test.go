package gracehttp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "gracehttp test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestHTTP2Drain drains HTTP/2 over TLS and h2c: a stream running at Stop completes whole,
// responses while draining make the client move to a new connection (GOAWAY), and Stop
// returns once the streams are done instead of waiting out Go's one-second GOAWAY timer.
func TestHTTP2Drain(t *testing.T) {
	cert, pool := selfSigned(t)
	for _, mode := range []string{"tls", "h2c"} {
		t.Run(mode, func(t *testing.T) {
			entered := make(chan struct{}, 1)
			release := make(chan struct{})
			mux := http.NewServeMux()
			mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
				entered <- struct{}{}
				<-release
				io.WriteString(w, payload("slow", 256<<10))
			})
			mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.RemoteAddr)
			})
			srv := &http.Server{Handler: mux}
			tr := &http.Transport{}
			scheme := "https"
			if mode == "tls" {
				srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
				tr.TLSClientConfig = &tls.Config{RootCAs: pool}
				tr.ForceAttemptHTTP2 = true
			} else {
				var p http.Protocols
				p.SetUnencryptedHTTP2(true)
				srv.Protocols = &p
				tr.Protocols = &p
				scheme = "http"
			}
			t.Cleanup(tr.CloseIdleConnections)
			c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			s := gracehttp.New(srv, gracehttp.WithListener(listen(t)))
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			base := scheme + "://" + s.Addrs()[0].String()

			resp, err := c.Get(base + "/fast")
			if err != nil {
				t.Fatal(err)
			}
			first, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.ProtoMajor != 2 {
				t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
			}
			type result struct {
				body string
				err  error
			}
			slow := make(chan result, 1)
			go func() {
				resp, err := c.Get(base + "/slow")
				if err != nil {
					slow <- result{err: err}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				slow <- result{string(b), err}
			}()
			testkit.Recv(t, entered, 5*time.Second, "slow handler")

			s.Drain(context.Background())
			// While draining, a response asks the client to go away: the request after it
			// uses a new connection (another remote port).
			resp, err = c.Get(base + "/fast")
			if err != nil {
				t.Fatal(err)
			}
			second, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(second) != string(first) {
				t.Fatalf("the request during the drain used a new connection already (%s vs %s)", second, first)
			}
			resp, err = c.Get(base + "/fast")
			if err != nil {
				t.Fatal(err)
			}
			third, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(third) == string(second) {
				t.Errorf("after a draining response the client still reused connection %s: no GOAWAY", third)
			}

			stopped := make(chan error, 1)
			stopBegin := time.Now()
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				stopped <- s.Stop(ctx)
			}()
			time.Sleep(50 * time.Millisecond) // Stop is now waiting on the slow stream
			close(release)
			r := testkit.Recv(t, slow, 5*time.Second, "slow response")
			if r.err != nil || r.body != payload("slow", 256<<10) {
				t.Fatalf("slow stream: %d bytes, %v", len(r.body), r.err)
			}
			if err := testkit.Recv(t, stopped, 10*time.Second, "Stop"); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			t.Logf("%s: Stop took %v", mode, time.Since(stopBegin))
		})
	}
}

// TestRetryAfter: in retry-after mode the server keeps its listener after Stop and answers new
// requests 503 with Retry-After and Connection: close until the running request finished.
func TestRetryAfter(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	s := gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		io.WriteString(w, "ok")
	})}, gracehttp.WithListener(listen(t)), gracehttp.WithRetryAfter(1500*time.Millisecond))
	base := startServer(t, s)
	c := client(t)
	slow := make(chan error, 1)
	go func() {
		status, body, err := testkit.Get(c, base+"/slow")
		if err == nil && (status != 200 || body != "ok") {
			err = fmt.Errorf("status %d body %q", status, body)
		}
		slow <- err
	}()
	testkit.Recv(t, entered, 5*time.Second, "slow handler")
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- s.Stop(ctx)
	}()
	// A fresh connection, as a client dialing the instance directly would make.
	var resp *http.Response
	deadline := time.Now().Add(5 * time.Second)
	for {
		tr := &http.Transport{DisableKeepAlives: true}
		var err error
		resp, err = (&http.Client{Transport: tr}).Get(base + "/new")
		if err != nil {
			t.Fatalf("new request while stopping: %v (the listener must stay open)", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond) // Stop may not have begun rejecting yet
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" || !resp.Close {
		t.Fatalf("got %d Retry-After %q close %v, want 503, 2, close", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Close)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a request was running", err)
	default:
	}
	close(release)
	if err := testkit.Recv(t, slow, 5*time.Second, "slow"); err != nil {
		t.Fatal(err)
	}
	if err := testkit.Recv(t, stopped, 5*time.Second, "Stop"); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", s.Addrs()[0].String(), time.Second); err == nil {
		t.Error("listener still open after Stop")
	}
}

// TestSpreadAndDrainingSignal: Draining closes for requests' contexts at the drain; with a close
// spread, not every response asks the client to go away at once.
func TestSpreadAndDrainingSignal(t *testing.T) {
	waiting := make(chan struct{})
	s := gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/poll" {
			close(waiting)
			select {
			case <-gracehttp.Draining(r.Context()):
				w.WriteHeader(http.StatusNoContent)
			case <-r.Context().Done():
			}
			return
		}
		io.WriteString(w, "ok")
	})}, gracehttp.WithListener(listen(t)), gracehttp.WithCloseSpread(time.Hour))
	base := startServer(t, s)
	c := client(t)
	polled := make(chan int, 1)
	go func() { status, _, _ := testkit.Get(c, base+"/poll"); polled <- status }()
	testkit.Recv(t, waiting, 5*time.Second, "long poll")
	if err := s.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := testkit.Recv(t, polled, 5*time.Second, "long poll answer"); got != http.StatusNoContent {
		t.Fatalf("long poll status %d, want 204", got)
	}
	closes := 0
	for range 50 {
		resp, err := c.Get(base + "/x")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			closes++
		}
	}
	if closes > 5 {
		t.Errorf("%d of 50 responses said Connection: close at the start of an hour-long spread", closes)
	}
	if gracehttp.Draining(context.Background()) != nil {
		t.Error("Draining of a foreign context is not nil")
	}
}

// TestBadOptions: bad options are reported by Validate as a *grace.ConfigError listing each
// problem, and again by Start for a server run outside an app; New never fails.
func TestBadOptions(t *testing.T) {
	want := []string{"quiet period must be positive, got -1s", "listener must not be nil", "max tracked must be positive, got 0", "cut margin must be positive, got -1s"}
	s := gracehttp.New(&http.Server{}, gracehttp.WithQuietPeriod(-time.Second), gracehttp.WithListener(nil),
		gracehttp.WithMaxTracked(0), gracehttp.WithCutMargin(-time.Second))
	var ce *grace.ConfigError
	if err := s.Validate(); !errors.As(err, &ce) || !errors.Is(err, grace.ErrInvalid) || !slices.Equal(ce.Problems, want) {
		t.Fatalf("Validate = %#v, want a ConfigError listing %q", err, want)
	}
	if err := s.Start(context.Background()); !errors.As(err, &ce) || !slices.Equal(ce.Problems, want) {
		t.Fatalf("Start = %v, want Validate's error", err)
	}
	if err := gracehttp.New(&http.Server{Addr: "127.0.0.1:notaport"}).Start(context.Background()); err == nil || !contains(err.Error(), "notaport") {
		t.Errorf("bad address: %v", err)
	}
	if err := gracehttp.New(&http.Server{TLSConfig: &tls.Config{}}).Validate(); err == nil || !contains(err.Error(), "TLSConfig has no certificate") {
		t.Errorf("TLS without a certificate: %v", err)
	}
	if err := gracehttp.New(nil).Validate(); err == nil || !contains(err.Error(), "http.Server must not be nil") {
		t.Errorf("nil server: %v", err)
	}
	if err := gracehttp.New(&http.Server{}, gracehttp.WithListener(listen(t))).Validate(); err != nil {
		t.Errorf("good options: %v", err)
	}
}

// TestBadOptionsInApp: the app reports every problem of the server's options before anything
// starts, each on its own line under the component's name, and nothing is served.
func TestBadOptionsInApp(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	app := testkit.NewApp()
	app.Add("web", gracehttp.New(&http.Server{}, gracehttp.WithListener(ln), gracehttp.WithCutMargin(0), gracehttp.WithLinger(-time.Millisecond)))
	_, err := app.Run(context.Background())
	var ce *grace.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Run = %v, want a ConfigError", err)
	}
	for _, want := range []string{`component "web": cut margin must be positive, got 0s`, `component "web": linger must be positive, got -1ms`} {
		if !slices.Contains(ce.Problems, want) {
			t.Errorf("problems %q lack %q", ce.Problems, want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
