package graceamqp_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	"github.com/gracekit/grace/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The test binary doubles as a consumer process: with childEnv set, TestMain runs childMain
// instead of the tests. It consumes the queue named by childQueue under grace's real signal
// handling, appends each message's value to the file named by childOut, and exits with the
// app's code.
const (
	childEnv      = "GRACEAMQP_CHILD_URL"
	childQueue    = "GRACEAMQP_CHILD_QUEUE"
	childOut      = "GRACEAMQP_CHILD_OUT"
	childPrefetch = 20
)

func childMain() int {
	return testkit.ChildConsumer(childOut, func(app *grace.App, logger *slog.Logger, handled func([]byte) error) error {
		conn, err := amqp.Dial(os.Getenv(childEnv))
		if err != nil {
			return err
		}
		app.Add("amqp", graceamqp.NewConn(conn, graceamqp.WithLogger(logger)), grace.StopTimeout(5*time.Second))
		app.Add("consumer", graceamqp.NewConsumer(conn, os.Getenv(childQueue),
			func(ctx context.Context, d amqp.Delivery) error { return handled(d.Body) },
			graceamqp.WithPrefetch(childPrefetch), graceamqp.WithLogger(logger),
		), grace.StopTimeout(5*time.Second))
		return nil
	})
}
