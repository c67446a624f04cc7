package testkit

import (
	"os"
	"testing"
)

// The environment variables through which scripts/services hands the test daemons' addresses to
// the tests (make test sets them; so does sourcing the env file scripts/services writes).
const (
	EnvPostgresDSN  = "GRACE_TEST_PG_DSN"
	EnvRedisAddr    = "GRACE_TEST_REDIS_ADDR"
	EnvEtcdEndpoint = "GRACE_TEST_ETCD_ENDPOINT"
	EnvNATSURL      = "GRACE_TEST_NATS_URL"
	EnvAMQPURL      = "GRACE_TEST_AMQP_URL"
)

// Env returns the value of the environment variable name. If it is unset or empty, Env fails t
// at once with a message that names the variable and how to set it; it never skips, so a test
// that needs a daemon fails when the daemon was not started — in CI (CI=true) as anywhere else.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: start the test services with scripts/services and source the env file it writes (make test does both)", name)
	}
	return v
}
