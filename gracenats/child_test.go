package gracenats_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
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
	return testkit.ChildConsumer(childOutEnv, func(app *grace.App, logger *slog.Logger, handled func([]byte) error) error {
		nc, err := nats.Connect(os.Getenv(childEnv))
		if err != nil {
			return err
		}
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		app.Add("nats", gracenats.NewConn(nc), grace.StopTimeout(5*time.Second))
		app.Add("consumer", gracenats.NewConsumer(js, os.Getenv(childStream), os.Getenv(childConsumer),
			func(ctx context.Context, msg jetstream.Msg) error { return handled(msg.Data()) },
			gracenats.WithBatch(childBatch), gracenats.WithLogger(logger),
		), grace.StopTimeout(5*time.Second))
		return nil
	})
}
