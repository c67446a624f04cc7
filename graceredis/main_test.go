package graceredis_test

import (
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newRedis returns a client for addr with no read timeout, so only the stop can end a command
// that waits on the server. The test closes it if the component did not.
func newRedis(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1, DialTimeout: 2 * time.Second, PoolSize: 4})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// addr returns the test redis-server's address (scripts/services sets it).
func addr(t testing.TB) string { return testkit.Env(t, testkit.EnvRedisAddr) }
