package graceamqp_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
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
	out, err := os.OpenFile(os.Getenv(childOut), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer out.Close()
	conn, err := amqp.Dial(os.Getenv(childEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	code := -1
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := grace.New(grace.WithLogger(logger), grace.WithExit(func(c int) { code = c }))
	app.Add("amqp", graceamqp.NewConn(conn, graceamqp.WithLogger(logger)), grace.StopTimeout(5*time.Second))
	app.Add("consumer", graceamqp.NewConsumer(conn, os.Getenv(childQueue),
		func(ctx context.Context, d amqp.Delivery) error {
			time.Sleep(500 * time.Microsecond) // some work, so the signal lands mid-stream
			_, err := out.Write(append(d.Body, '\n'))
			return err
		},
		graceamqp.WithPrefetch(childPrefetch), graceamqp.WithLogger(logger),
	), grace.StopTimeout(5*time.Second))
	app.Main()
	return code
}
