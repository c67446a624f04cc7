package bench

import (
	"io"
	"net/http"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestStyles keeps every implementation working: each style starts, answers /work and /readyz,
// and exits 0 on SIGTERM with its component closed. "bare" has no lifecycle: SIGTERM kills it.
func TestStyles(t *testing.T) {
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	for _, style := range append(slices.Clone(withBare), "fxgrace") {
		t.Run(style, func(t *testing.T) {
			s := start(t, style, "-components", "1")
			for path, want := range map[string]string{"/work": "ok\n", "/work?ms=5": "ok\n", "/readyz": "ready\n"} {
				resp, err := client.Get("http://" + s.addr + path)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || string(body) != want {
					t.Fatalf("GET %s: %d %q %v, want 200 %q", path, resp.StatusCode, body, err, want)
				}
			}
			if style == "bare" {
				s.Signal(t, syscall.SIGTERM)
				if code, sig := s.exit(); sig != syscall.SIGTERM {
					t.Fatalf("bare should die of SIGTERM, got code %d, signal %v", code, sig)
				}
				return
			}
			stopped(t, s)
			if s.count("closed component-00") != 1 {
				t.Fatalf("component not closed: %q", s.output())
			}
		})
	}
}

// TestGraceReadiness: the grace style's /readyz (gracehttp's health handler) turns 503 during
// its drain delay while /work and /livez still answer; the other styles have no such flip.
func TestGraceReadiness(t *testing.T) {
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	s := start(t, "grace", "-drain-delay", "3s", "-budget", "6s")
	s.Signal(t, syscall.SIGTERM)
	deadline := time.Now().Add(2 * time.Second)
	for {
		resp, err := client.Get("http://" + s.addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 2 s after SIGTERM", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, path := range []string{"/work", "/livez"} {
		resp, err := client.Get("http://" + s.addr + path)
		if err != nil {
			t.Fatalf("GET %s while draining: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s while draining: %d", path, resp.StatusCode)
		}
	}
	stopped(t, s)
}

// stopped sends s SIGTERM and fails t unless it exits 0 within 10 s.
func stopped(t *testing.T, s *service) {
	t.Helper()
	_, exited := s.stop(t, 10*time.Second)
	if code, _ := s.exit(); !exited || code != 0 {
		t.Fatalf("exited %v with code %d: %q", exited, code, s.output())
	}
}
