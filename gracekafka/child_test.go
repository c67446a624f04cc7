package gracekafka_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracekafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The test binary doubles as a consumer process: with childEnv set, TestMain runs childMain
// instead of the tests. It consumes topic in childGroup under grace's real signal handling,
// appends each record's value to the file named by childOutEnv, and exits with the app's code.
const (
	childEnv     = "GRACEKAFKA_CHILD_BROKERS"
	childOutEnv  = "GRACEKAFKA_CHILD_OUT"
	childGroup   = "child"
	childMaxPoll = 50
	// childSessionTimeout is the child's group session timeout: how long the group waits for a
	// member that died without leaving.
	childSessionTimeout = time.Second
)

func childMain() int {
	out, err := os.OpenFile(os.Getenv(childOutEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer out.Close()
	code := -1
	app := grace.New(
		grace.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		grace.WithExit(func(c int) { code = c }),
	)
	app.Add("consumer", gracekafka.NewConsumer(childGroup,
		func(ctx context.Context, r *kgo.Record) error {
			time.Sleep(500 * time.Microsecond) // some work, so the signal lands mid-stream
			_, err := out.Write(append(r.Value, '\n'))
			return err
		},
		gracekafka.WithClientOptions(
			kgo.SeedBrokers(strings.Split(os.Getenv(childEnv), ",")...),
			kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.SessionTimeout(childSessionTimeout),
			kgo.HeartbeatInterval(childSessionTimeout/5),
		),
		gracekafka.WithMaxPollRecords(childMaxPoll),
	), grace.StopTimeout(10*time.Second))
	app.Main()
	return code
}
