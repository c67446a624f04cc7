// Package config reads the orders service's configuration from flags and the environment, and
// checks every value before anything starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Defaults. DefaultBudget fits Kubernetes' 30 s termination grace period.
const (
	DefaultAddr          = "127.0.0.1:8080"
	DefaultDataDir       = "data"
	DefaultKafkaTopic    = "orders"
	DefaultAMQPQueue     = "orders"
	DefaultBudget        = 25 * time.Second
	DefaultDrainDelay    = 5 * time.Second
	DefaultQuietPeriod   = time.Second
	DefaultHTTPTimeout   = 15 * time.Second
	DefaultWorkerTimeout = 10 * time.Second
	DefaultExpireEvery   = 5 * time.Second
	DefaultExpireAfter   = 10 * time.Minute
	DefaultPoolEvery     = 10 * time.Second
	DefaultMaxUpload     = 32 << 20
	DefaultLogFormat     = "text"
)

// ErrUsage is matched by every configuration error: the caller exits with status 2.
var ErrUsage = errors.New("invalid configuration")

// Error lists every problem found in the configuration.
type Error struct {
	Problems []string
}

func (e *Error) Error() string { return "invalid configuration: " + strings.Join(e.Problems, "; ") }

// Is reports whether target is [ErrUsage].
func (e *Error) Is(target error) bool { return target == ErrUsage }

// Config is the service's whole configuration. Flags win over environment variables, which win
// over the defaults.
type Config struct {
	Addr          string        // HTTP listen address, host:port
	DataDir       string        // SQLite file, embedded NATS store, attachments
	PGDSN         string        // PostgreSQL instead of SQLite when set
	KafkaBrokers  []string      // Kafka instead of embedded NATS when set
	KafkaTopic    string        // topic for accepted orders
	KafkaInstance string        // static group membership id; "" for dynamic membership
	AMQPURL       string        // RabbitMQ instead of embedded NATS when set
	AMQPQueue     string        // RabbitMQ queue for accepted orders
	Budget        time.Duration // the whole stop, drain delay included
	DrainDelay    time.Duration // not ready but serving, before anything stops
	QuietPeriod   time.Duration // the drain delay ends early after this long without requests; 0: off
	HTTPTimeout   time.Duration // the HTTP server's stop limit within the budget
	WorkerTimeout time.Duration // the fulfilment consumer's stop limit within the budget
	ExpireEvery   time.Duration // how often the expiry job runs
	ExpireAfter   time.Duration // age at which an unfulfilled order expires
	PoolEvery     time.Duration // how often the pool-maintenance job runs
	FulfilDelay   time.Duration // simulated work per fulfilment
	MaxUpload     int64         // largest attachment, bytes
	Naive         bool          // run the seed's hand-written shutdown instead of grace
	PrintPlan     bool          // print grace's start/stop plan as JSON and exit, starting nothing
	TestHooks     bool          // honour X-Test-Hold (holds a transaction open); tests only
	LogFormat     string        // text or json
}

// Usage is printed for -h.
const envHelp = `
Every flag can also be set in the environment as ORDERS_<FLAG> (upper case, '-' -> '_'),
for example ORDERS_PG_DSN or ORDERS_DRAIN_DELAY=3s. Flags win over the environment.
`

// Parse reads args (without the program name) and env (a lookup such as os.LookupEnv). It
// returns an *Error listing every bad value, or flag.ErrHelp when help was asked for (the usage
// was then written to out).
func Parse(args []string, env func(string) (string, bool), out io.Writer) (Config, error) {
	c := Config{}
	var brokers string
	var maxUpload string
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	fs.SetOutput(out)
	var problems []string
	dur := func(p *time.Duration, name string, def time.Duration, usage string) {
		*p = def
		fs.Func(name, fmt.Sprintf("%s (default %v)", usage, def), func(s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("not a duration (like 5s or 1m30s): %q", s)
			}
			*p = d
			return nil
		})
	}
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "HTTP listen address host:port")
	fs.StringVar(&c.DataDir, "data-dir", DefaultDataDir, "directory for the SQLite file, the embedded NATS store and attachments")
	fs.StringVar(&c.PGDSN, "pg-dsn", "", "PostgreSQL DSN; SQLite in the data dir when empty")
	fs.StringVar(&brokers, "kafka-brokers", "", "comma-separated Kafka brokers host:port; embedded NATS JetStream when empty")
	fs.StringVar(&c.KafkaTopic, "kafka-topic", DefaultKafkaTopic, "Kafka topic for accepted orders")
	fs.StringVar(&c.KafkaInstance, "kafka-instance-id", "", "static consumer-group membership id, stable across restarts of this instance (empty: dynamic membership)")
	fs.StringVar(&c.AMQPURL, "amqp-url", "", "RabbitMQ URL amqp://user:password@host:port/vhost; embedded NATS JetStream when empty (and no Kafka brokers)")
	fs.StringVar(&c.AMQPQueue, "amqp-queue", DefaultAMQPQueue, "RabbitMQ queue for accepted orders (declared durable at start)")
	dur(&c.Budget, "budget", DefaultBudget, "budget for the whole stop, drain delay included")
	dur(&c.DrainDelay, "drain-delay", DefaultDrainDelay, "time not ready but still serving before anything stops")
	dur(&c.QuietPeriod, "quiet-period", DefaultQuietPeriod, "end the drain delay early once no request came for this long (0: never)")
	dur(&c.HTTPTimeout, "http-timeout", DefaultHTTPTimeout, "stop limit of the HTTP server within the budget (unset and above the budget: half the budget)")
	dur(&c.WorkerTimeout, "worker-timeout", DefaultWorkerTimeout, "stop limit of the fulfilment consumer within the budget (unset and above the budget: half the budget)")
	dur(&c.ExpireEvery, "expire-every", DefaultExpireEvery, "how often stale orders are expired")
	dur(&c.ExpireAfter, "expire-after", DefaultExpireAfter, "age at which an unfulfilled order expires")
	dur(&c.PoolEvery, "pool-every", DefaultPoolEvery, "how often the pool-maintenance job pings the database")
	dur(&c.FulfilDelay, "fulfil-delay", 0, "simulated work per fulfilment")
	fs.StringVar(&maxUpload, "max-upload", strconv.Itoa(DefaultMaxUpload), "largest attachment in bytes")
	fs.BoolVar(&c.PrintPlan, "print-plan", false, "print the start/stop plan (waves, budgets) as JSON for graceplan --plan, and exit without starting anything")
	fs.BoolVar(&c.Naive, "naive", false, "run the seed's hand-written shutdown (no readiness flip, no drain delay, wrong order): for demos")
	fs.BoolVar(&c.TestHooks, "test-hooks", false, "honour the X-Test-Hold request header (holds a transaction open): for tests only")
	fs.StringVar(&c.LogFormat, "log-format", DefaultLogFormat, "log format: text or json")
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: orders [flags]\n")
		fs.PrintDefaults()
		fmt.Fprint(out, envHelp)
	}

	// The environment first, so that flags override it.
	fromEnv := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		key := "ORDERS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := env(key); ok {
			if err := fs.Set(f.Name, v); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", key, err))
			}
			fromEnv[f.Name] = true
		}
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, &Error{Problems: append(problems, err.Error())}
	}
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments: %q", fs.Args()))
	}
	if brokers != "" {
		c.KafkaBrokers = strings.Split(brokers, ",")
	}
	n, err := strconv.ParseInt(maxUpload, 10, 64)
	if err != nil || n <= 0 {
		problems = append(problems, fmt.Sprintf("max-upload must be a positive number of bytes, got %q", maxUpload))
	}
	c.MaxUpload = n
	// A component limit left at its default shrinks to half a smaller budget, leaving the rest
	// to the components it depends on; one set explicitly above the budget is an error.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, d := range map[string]*time.Duration{"http-timeout": &c.HTTPTimeout, "worker-timeout": &c.WorkerTimeout} {
		if !set[name] && !fromEnv[name] && *d > c.Budget && c.Budget > 0 {
			*d = c.Budget / 2
		}
	}
	problems = append(problems, c.check()...)
	if len(problems) > 0 {
		return c, &Error{Problems: problems}
	}
	return c, nil
}

// check validates values that parse but make no sense.
func (c *Config) check() []string {
	var p []string
	if err := checkHostPort(c.Addr); err != nil {
		p = append(p, fmt.Sprintf("addr %q: %v", c.Addr, err))
	}
	for _, b := range c.KafkaBrokers {
		if err := checkHostPort(b); err != nil || strings.HasSuffix(b, ":0") {
			if err == nil {
				err = errors.New("port 0")
			}
			p = append(p, fmt.Sprintf("kafka broker %q: %v", b, err))
		}
	}
	if c.AMQPURL != "" {
		// Never echo the URL: it may hold a password.
		if u, err := url.Parse(c.AMQPURL); err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
			p = append(p, "amqp-url is not a RabbitMQ URL (amqp://user:password@host:port/vhost)")
		}
		if len(c.KafkaBrokers) > 0 {
			p = append(p, "amqp-url and kafka-brokers both set: choose one broker")
		}
	}
	if c.AMQPQueue == "" || len(c.AMQPQueue) > 255 {
		p = append(p, fmt.Sprintf("amqp queue %q: want 1 to 255 characters", c.AMQPQueue))
	}
	if c.KafkaTopic == "" || strings.ContainsAny(c.KafkaTopic, " /\\") {
		p = append(p, fmt.Sprintf("kafka topic %q is not a valid topic name", c.KafkaTopic))
	}
	if c.PGDSN != "" {
		if _, err := pgx.ParseConfig(c.PGDSN); err != nil {
			// pgx's message may echo the DSN; say only what kind of problem it is.
			p = append(p, "pg-dsn is not a valid PostgreSQL connection string (URL postgres://user@host:port/db or key=value form)")
		}
	}
	if c.DataDir == "" {
		p = append(p, "data-dir must not be empty")
	} else if fi, err := os.Stat(c.DataDir); err == nil && !fi.IsDir() {
		p = append(p, fmt.Sprintf("data-dir %q is not a directory", c.DataDir))
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		p = append(p, fmt.Sprintf("data-dir %q: %v", c.DataDir, err))
	} else if err != nil {
		// It will be created: its parent must exist.
		parent := filepath.Dir(filepath.Clean(c.DataDir))
		if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
			p = append(p, fmt.Sprintf("data-dir %q cannot be created: parent %q is not a directory", c.DataDir, parent))
		}
	}
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"budget", c.Budget}, {"http-timeout", c.HTTPTimeout}, {"worker-timeout", c.WorkerTimeout},
		{"expire-every", c.ExpireEvery}, {"expire-after", c.ExpireAfter}, {"pool-every", c.PoolEvery},
	}
	for _, x := range positive {
		if x.d <= 0 {
			p = append(p, fmt.Sprintf("%s must be positive, got %v", x.name, x.d))
		}
	}
	if c.DrainDelay < 0 {
		p = append(p, fmt.Sprintf("drain-delay must not be negative, got %v", c.DrainDelay))
	}
	if c.QuietPeriod < 0 {
		p = append(p, fmt.Sprintf("quiet-period must not be negative, got %v", c.QuietPeriod))
	}
	if c.FulfilDelay < 0 {
		p = append(p, fmt.Sprintf("fulfil-delay must not be negative, got %v", c.FulfilDelay))
	}
	if c.Budget > 0 && c.DrainDelay >= c.Budget {
		p = append(p, fmt.Sprintf("drain-delay (%v) must be less than the budget (%v)", c.DrainDelay, c.Budget))
	}
	if c.Budget > 0 && c.HTTPTimeout > c.Budget {
		p = append(p, fmt.Sprintf("http-timeout (%v) must not exceed the budget (%v)", c.HTTPTimeout, c.Budget))
	}
	if c.Budget > 0 && c.WorkerTimeout > c.Budget {
		p = append(p, fmt.Sprintf("worker-timeout (%v) must not exceed the budget (%v)", c.WorkerTimeout, c.Budget))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		p = append(p, fmt.Sprintf("log-format must be text or json, got %q", c.LogFormat))
	}
	return p
}

func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("want host:port")
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("bad host %q", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}
