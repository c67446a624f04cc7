package testkit_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// A TLS server with SelfSigned's certificate is trusted by its client configuration; Fetch reads
// the status, the whole body and Connection: close; FetchHeld waits until every request is held,
// and Expect names the requests that got something else.
func TestSelfSignedFetchAndHeldRequests(t *testing.T) {
	entered, release := make(chan string, 4), make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/held" {
			entered <- r.URL.Path
			<-release
		}
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		fmt.Fprintln(w, "body of", r.URL.Path)
	}))
	serverTLS, clientTLS := testkit.SelfSigned(t)
	srv.TLS = serverTLS
	srv.StartTLS()
	defer srv.Close()
	tr := &http.Transport{TLSClientConfig: clientTLS}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	if r := testkit.Fetch(c, srv.URL+"/close"); !r.Is(200, "body of /close\n") || !r.Close {
		t.Errorf("Fetch: %v, close %v", r, r.Close)
	}
	testkit.Fetch(c, srv.URL+"/x").Want(t, 200, "body of /x")
	if msg := failures(t, func(tb testing.TB) { testkit.Fetch(c, srv.URL+"/x").Want(tb, 503, "") }); !strings.Contains(msg, "want 503") {
		t.Errorf("Want with another status failed with %q", msg)
	}
	untrusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}, Timeout: 10 * time.Second}
	if r := testkit.Fetch(untrusting, srv.URL+"/x"); r.Err == nil {
		t.Errorf("a client without SelfSigned's configuration trusted the certificate: %v", r)
	}

	held := testkit.FetchHeld(t, c, srv.URL+"/held", 3, entered)
	if len(entered) != 0 {
		t.Fatalf("%d more requests entered than were sent", len(entered))
	}
	close(release)
	msg := failures(t, func(tb testing.TB) { held.Expect(tb, 10*time.Second, 200, "nothing") })
	if n := strings.Count(msg, `got 200 "body of /held\n"`); n != 3 {
		t.Errorf("Expect named %d of the 3 requests that got another body: %q", n, msg)
	}
}
