package config_test

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
)

func TestParseRunDefaults(t *testing.T) {
	c, err := config.Parse([]string{"run", "--", "./srv", "--port", "{port}"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != config.DefaultURL || c.ReadyURL != config.DefaultURL+"/readyz" || c.Port != 8080 ||
		c.Rate != config.DefaultRate || c.Signal != syscall.SIGTERM || c.LBInterval != 500*time.Millisecond ||
		len(c.Targets) != 1 || c.Targets[0].Path != "/" {
		t.Fatalf("defaults: %+v", c)
	}
	argv, env := c.CommandFor(9000)
	if strings.Join(argv, " ") != "./srv --port 9000" || env[0] != "PORT=9000" {
		t.Fatalf("CommandFor: %v %v", argv, env)
	}
}

func TestParseRollout(t *testing.T) {
	c, err := config.Parse([]string{"rollout", "--instances", "3", "--restarts", "4", "--ready", "http://x:1/health?deep=1",
		"--signal", "int", "--req", "3:GET /a", "--req", "POST /b {}", "--", "srv"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Instances != 3 || c.Restarts != 4 || c.ReadyPath != "/health?deep=1" || c.Signal != syscall.SIGINT ||
		len(c.Targets) != 2 || c.Port != 0 {
		t.Fatalf("rollout: %+v", c)
	}
}

func TestParseErrorsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--rate", "-5", "--", "x"},
		{"run", "--lb-interval", "1ms", "--", "x"},
		{"run", "--url", "https://a:1", "--", "x"},
		{"run", "--url", "http://a:99999", "--", "x"},
		{"run", "--rate", "100000", "--duration", "1h", "--", "x"},
		{"rollout", "--restarts", "0", "--", "x"},
		{"rollout", "--ready", "/a b", "--", "x"},
	} {
		_, err := config.Parse(args, io.Discard)
		var ue *config.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Parse(%q) = %v, want a *UsageError", args, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("run --rate 10 --duration 2s --signal-at 1s -- srv")
	f.Add("rollout --instances 2 --ready /r --req 2:GET\t/x -- a b")
	f.Add("run --url http://[::1]:80 -- x")
	f.Add("run --signal-at 0s -- x")
	f.Fuzz(func(t *testing.T, line string) {
		c, err := config.Parse(strings.Fields(line), io.Discard)
		if err != nil {
			var ue *config.UsageError
			if !errors.As(err, &ue) && !errors.Is(err, config.ErrHelp) {
				t.Fatalf("Parse(%q): %v is neither a usage error nor help", line, err)
			}
			return
		}
		if c.Rate < 1 || c.Rate > config.MaxRate || c.SignalAt <= 0 || c.SignalAt >= c.Duration || (len(c.Command) == 0 && c.Trigger == "" && c.PID == 0 && c.PIDFile == "") || len(c.Targets) == 0 {
			t.Fatalf("Parse(%q) accepted %+v", line, c)
		}
	})
}
