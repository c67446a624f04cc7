package config

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

func TestDefaults(t *testing.T) {
	c, err := Parse(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != DefaultAddr || c.Budget != DefaultBudget || c.DrainDelay != DefaultDrainDelay ||
		c.HTTPTimeout != DefaultHTTPTimeout || c.WorkerTimeout != DefaultWorkerTimeout || c.Naive {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	env := map[string]string{"ORDERS_BUDGET": "9s", "ORDERS_DRAIN_DELAY": "2s", "ORDERS_KAFKA_BROKERS": "a:1,b:2"}
	c, err := Parse([]string{"--budget", "12s"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Budget != 12*time.Second || c.DrainDelay != 2*time.Second || len(c.KafkaBrokers) != 2 {
		t.Fatalf("got %+v", c)
	}
}

func TestComponentLimitsShrinkToASmallBudget(t *testing.T) {
	c, err := Parse([]string{"--budget", "4s", "--drain-delay", "1s"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPTimeout != 2*time.Second || c.WorkerTimeout != 2*time.Second {
		t.Fatalf("limits %v %v, want half the budget", c.HTTPTimeout, c.WorkerTimeout)
	}
}

// TestAMQPURL: a RabbitMQ URL is checked without ever echoing it (it may hold a password), and
// cannot be combined with Kafka.
func TestAMQPURL(t *testing.T) {
	c, err := Parse([]string{"--amqp-url", "amqp://u:p@127.0.0.1:5672/", "--amqp-queue", "q1"}, noEnv, io.Discard)
	if err != nil || c.AMQPURL != "amqp://u:p@127.0.0.1:5672/" || c.AMQPQueue != "q1" {
		t.Fatalf("got %+v, %v", c, err)
	}
	for _, args := range [][]string{
		{"--amqp-url", "http://secretpw@host/"},
		{"--amqp-url", "amqp://u:secretpw@h:1/", "--kafka-brokers", "a:1"},
		{"--amqp-url", "amqp://u:secretpw@h:1/", "--amqp-queue", ""},
	} {
		_, err := Parse(args, noEnv, io.Discard)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%q: error %v, want a configuration error", args, err)
		} else if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%q: error %q echoes the password", args, err)
		}
	}
}

// FuzzParse: any flag values give either a valid configuration or an *Error — never a panic,
// and never a configuration that breaks its own rules.
func FuzzParse(f *testing.F) {
	f.Add("--budget", "10s", "--drain-delay", "1s")
	f.Add("--addr", "127.0.0.1:0", "--kafka-brokers", "a:1,b:2")
	f.Add("--max-upload", "0", "--pg-dsn", "postgres://x@y:5432/z")
	f.Add("--http-timeout", "-1s", "--addr", "[::1]:80")
	f.Add("--amqp-url", "amqp://guest:guest@127.0.0.1:5672/", "--amqp-queue", "orders")
	f.Fuzz(func(t *testing.T, f1, v1, f2, v2 string) {
		c, err := Parse([]string{f1, v1, f2, v2}, noEnv, io.Discard)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || !errors.Is(err, ErrUsage) {
				t.Fatalf("error %v is not a config error", err)
			}
			return
		}
		if c.Budget <= 0 || c.DrainDelay < 0 || c.DrainDelay >= c.Budget || c.HTTPTimeout > c.Budget ||
			c.WorkerTimeout > c.Budget || c.MaxUpload <= 0 {
			t.Fatalf("accepted an invalid configuration: %+v", c)
		}
	})
}
