package testkit_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gracekit/grace/internal/testkit"
)

func TestGetReturnsStatusAndWholeBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout")
	}))
	defer srv.Close()
	status, body, err := testkit.Get(srv.Client(), srv.URL)
	if err != nil || status != http.StatusTeapot || body != "short and stout" {
		t.Fatalf("Get = %d %q %v, want 418 %q nil", status, body, err, "short and stout")
	}
}

func TestGetReportsABodyCutShort(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "ten bytes!")
		// The handler returns with 90 bytes promised and never sent: net/http closes the
		// connection.
	}))
	defer srv.Close()
	status, body, err := testkit.Get(srv.Client(), srv.URL)
	if err == nil || status != http.StatusOK || body != "ten bytes!" {
		t.Fatalf("Get = %d %q %v, want 200, the ten bytes and an error", status, body, err)
	}
}

func TestGetReportsARefusedConnection(t *testing.T) {
	if _, _, err := testkit.Get(http.DefaultClient, "http://"+testkit.ClosedAddr(t)+"/"); err == nil {
		t.Fatal("Get to a closed port: no error")
	}
}
