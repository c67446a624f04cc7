package gracenats_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The test binary doubles as a consumer process: with childEnv set, TestMain runs childMain
// instead of the tests. It consumes the stream and consumer named by the environment under
// grace's real signal handling, appends each message's value to the file named by childOutEnv,
// and exits with the app's code.
const (
	childEnv      = "GRACENATS_CHILD_URL"
	childStream   = "GRACENATS_CHILD_STREAM"
	childConsumer = "GRACENATS_CHILD_CONSUMER"
	childOutEnv   = "GRACENATS_CHILD_OUT"
	childBatch    = 50
)

func childMain() int {
	out, err := os.OpenFile(os.Getenv(childOutEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer out.Close()
	nc, err := nats.Connect(os.Getenv(childEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	code := -1
	app := grace.New(
		grace.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		grace.WithExit(func(c int) { code = c }),
	)
	app.Add("nats", gracenats.NewConn(nc), grace.StopTimeout(5*time.Second))
	app.Add("consumer", gracenats.NewConsumer(js, os.Getenv(childStream), os.Getenv(childConsumer),
		func(ctx context.Context, msg jetstream.Msg) error {
			time.Sleep(500 * time.Microsecond) // some work, so the signal lands mid-stream
			_, err := out.Write(append(msg.Data(), '\n'))
			return err
		},
		gracenats.WithBatch(childBatch),
	), grace.StopTimeout(5*time.Second))
	app.Main()
	return code
}
