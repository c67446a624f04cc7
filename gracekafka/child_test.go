package gracekafka_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracekafka"
	"github.com/gracekit/grace/internal/testkit"
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
	return testkit.ChildConsumer(childOutEnv, func(app *grace.App, logger *slog.Logger, handled func([]byte) error) error {
		app.Add("consumer", gracekafka.NewConsumer(childGroup,
			func(ctx context.Context, r *kgo.Record) error { return handled(r.Value) },
			gracekafka.WithClientOptions(
				kgo.SeedBrokers(strings.Split(os.Getenv(childEnv), ",")...),
				kgo.ConsumeTopics(topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				kgo.SessionTimeout(childSessionTimeout),
				kgo.HeartbeatInterval(childSessionTimeout/5),
			),
			gracekafka.WithMaxPollRecords(childMaxPoll), gracekafka.WithLogger(logger),
		), grace.StopTimeout(10*time.Second))
		return nil
	})
}
