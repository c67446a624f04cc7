package graceredis_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceredis"
	"github.com/redis/go-redis/v9"
)

// The client is added first, so the components added after it depend on it: they stop first and
// the client closes last, once no command is in flight (or at its hard deadline).
func Example() {
	// Your server's address; here the test server's, from scripts/services.
	rc := redis.NewClient(&redis.Options{Addr: os.Getenv("GRACE_TEST_REDIS_ADDR")})

	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Add("redis", graceredis.New(rc), grace.StopTimeout(5*time.Second))
	app.Add("counter", grace.Hook{OnStop: func(ctx context.Context) error {
		err := rc.Set(ctx, "graceredis:example", "flushed at stop", time.Minute).Err()
		fmt.Println("counter flushed:", err)
		return err
	}})
	go func() { <-app.Await(grace.PhaseReady); app.Stop("example") }()
	rep, err := app.Run(context.Background())
	fmt.Println("error:", err)
	fmt.Println("redis:", rep.Component("redis").State, "; ping after:", rc.Ping(context.Background()).Err())
	// Output:
	// counter flushed: <nil>
	// error: <nil>
	// redis: stopped ; ping after: redis: client is closed
}
