package gracekafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Handler handles one record. It is called for the records of a partition in order, one record
// at a time. ctx is cancelled only at the hard stop — when the consumer's stop deadline passes —
// so a handler that honours ctx finishes its record at a soft stop and gives up at the hard one.
//
// A nil error means the record is done: its offset is committed with the rest of its batch. An
// error stops the app (see [HandlerError]); return nil for errors you can live with.
type Handler func(ctx context.Context, r *kgo.Record) error

// Consumer is a Kafka group consumer as a grace component: a [grace.Starter], [grace.Runner]
// and [grace.Stopper]. It polls batches of at most [WithMaxPollRecords] records, hands each
// record to its [Handler], and commits the offsets of the records handled after every batch.
//
// Delivery is at least once. A record is committed only after its handler returned nil, so no
// record is lost; a record is handled twice only if the process dies (or is cut off at its hard
// stop) between handling it and the commit of its batch, so at most one batch is handled twice.
//
// A Consumer runs once, in one app.
type Consumer struct {
	group  string
	handle Handler
	cfg    config

	mu       sync.Mutex
	cl       *kgo.Client
	cancel   context.CancelFunc      // cancels the client's context: every request in flight fails
	runDone  chan struct{}           // closed when the current Run returns; nil before the first Run
	cutRun   context.CancelCauseFunc // ends the handler's ctx of the current Run; nil outside Run
	stopping chan struct{}
	stopOnce sync.Once

	closeOnce sync.Once
	closed    chan struct{}

	held       atomic.Int64 // records of the batch in hand not yet handled
	handedBack atomic.Int64 // records fetched and never committed, left for redelivery
}

// NewConsumer returns a consumer in group that hands each record to handle. Pass the brokers and
// topics with [WithClientOptions]; nothing connects before Start.
func NewConsumer(group string, handle Handler, opts ...Option) *Consumer {
	return &Consumer{
		group:    group,
		handle:   handle,
		cfg:      newConfig(opts),
		stopping: make(chan struct{}),
		closed:   make(chan struct{}),
	}
}

// Client returns the franz-go client, or nil before Start. Use it to read metrics or lag; do not
// poll, commit or close it.
func (c *Consumer) Client() *kgo.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cl
}

// Closed returns a channel that is closed once the client has closed: its group left, its
// connections and goroutines gone. After a stop that its deadline ended early the close
// finishes in the background, within the cut margin and a moment; wait on Closed to know.
func (c *Consumer) Closed() <-chan struct{} { return c.closed }

// Validate reports what is wrong with the consumer's configuration — an empty group name, a nil
// handler, bad options — as a *grace.ConfigError.
func (c *Consumer) Validate() error {
	return c.cfg.Err(option.Check(c.group == "", "empty consumer group name"), option.Check(c.handle == nil, "nil handler"))
}

// Start checks the configuration (Validate), creates the client and pings the brokers with ctx,
// so a bad configuration or unreachable brokers fail the app's start with a clear error (a
// *grace.ConfigError — client options franz-go rejects, or no topics — or "reach kafka
// brokers: ..."). It does not wait for the group to assign partitions. A failed Start closes
// what it created.
func (c *Consumer) Start(ctx context.Context) error {
	if err := c.Validate(); err != nil {
		return err
	}
	clientCtx, cancel := context.WithCancel(context.Background())
	opts := append(slices.Clone(c.cfg.client),
		kgo.ConsumerGroup(c.group),
		kgo.AutoCommitMarks(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.WithContext(clientCtx),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		cancel()
		return &grace.ConfigError{Problems: []string{"client options: " + err.Error()}}
	}
	if topics, _ := cl.OptValue(kgo.ConsumeTopics).([]string); len(topics) == 0 {
		cancel()
		cl.Close()
		return &grace.ConfigError{Problems: []string{"no topics: pass kgo.ConsumeTopics in WithClientOptions"}}
	}
	if err := cl.Ping(ctx); err != nil {
		cancel()
		cl.Close()
		return fmt.Errorf("reach kafka brokers: %w", err)
	}
	c.mu.Lock()
	c.cl, c.cancel = cl, cancel
	c.mu.Unlock()
	return nil
}

// revoked commits what was handled before partitions go to another member or the group is
// left. BlockRebalanceOnPoll guarantees no batch is in hand while it runs.
func (c *Consumer) revoked(ctx context.Context, cl *kgo.Client, _ map[string][]int32) {
	if err := cl.CommitMarkedOffsets(ctx); err != nil && ctx.Err() == nil {
		c.cfg.logger.Warn("gracekafka: commit at revoke failed; records handled since the last commit will be delivered again",
			"group", c.group, "error", err)
	}
}

// Run polls and handles records until its turn to stop. At that turn (Stop) it stops polling,
// finishes the batch in hand, commits it and returns nil. At the stop's cut point
// ([WithCutMargin]), or if ctx is cancelled — the hard stop — the handler's ctx ends (with cause
// grace.ErrCut at the cut point), the rest of the batch is left unhandled and uncommitted, and
// Run returns nil. A handler's error ends Run with a [HandlerError]; a panic propagates to the
// engine. Either way the partitions are rewound to the first record not handled, so a Run
// started again (grace.RestartOnPanic) skips nothing.
func (c *Consumer) Run(ctx context.Context) error {
	// The handler's ctx ends at the hard stop, or at the stop's cut point (Stop calls cutRun).
	hctx, cutRun := context.WithCancelCause(ctx)
	defer cutRun(nil)
	c.mu.Lock()
	cl := c.cl
	done := make(chan struct{})
	c.runDone, c.cutRun = done, cutRun
	c.mu.Unlock()
	defer close(done)
	if cl == nil {
		return errors.New("kafka consumer not started")
	}
	// Polling ends at the soft stop; handling goes on until the hard one.
	pollCtx, cancelPoll := context.WithCancel(ctx)
	defer cancelPoll()
	go func() {
		select {
		case <-c.stopping:
			cancelPoll()
		case <-pollCtx.Done():
		}
	}()
	defer cl.AllowRebalance()
	for {
		select {
		case <-c.stopping:
			return nil
		default:
		}
		if hctx.Err() != nil {
			return nil
		}
		fetches := cl.PollRecords(pollCtx, c.cfg.maxPoll)
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			if pollCtx.Err() != nil && errors.Is(err, pollCtx.Err()) {
				return
			}
			c.cfg.logger.Warn("gracekafka: fetch error", "group", c.group, "topic", topic, "partition", partition, "error", err)
		})
		err := c.handleBatch(hctx, cl, fetches.Records())
		if cerr := cl.CommitMarkedOffsets(ctx); cerr != nil && ctx.Err() == nil {
			c.cfg.logger.Warn("gracekafka: commit failed; records handled since the last commit will be delivered again",
				"group", c.group, "error", cerr)
		}
		cl.AllowRebalance()
		if err != nil {
			return err
		}
	}
}

// handleBatch hands each record to the handler and marks it for commit once handled. If it
// cannot finish — the hard stop, a handler's error or panic — it rewinds each partition to its
// first record not handled, so a later poll of this client delivers it again.
func (c *Consumer) handleBatch(ctx context.Context, cl *kgo.Client, records []*kgo.Record) (err error) {
	next := 0 // index of the first record not handled
	c.held.Store(int64(len(records)))
	defer func() {
		if next < len(records) {
			if !errors.Is(context.Cause(ctx), grace.ErrCut) {
				// A Run started again must not skip them. (Cut by the stop, the client closes
				// without polling again: rewound, they would be fetched again and counted twice.)
				rewind(cl, records[next:])
			}
			if ctx.Err() != nil || err != nil {
				// The hard stop, or a handler's error that stops the app: the rest of the batch
				// goes back to the group uncommitted.
				c.handedBack.Add(int64(len(records) - next))
			}
		}
		c.held.Store(0)
	}()
	for ; next < len(records); next++ {
		r := records[next]
		if ctx.Err() != nil {
			return nil
		}
		if herr := c.handle(ctx, r); herr != nil {
			if ctx.Err() != nil {
				return nil // cut off by the hard stop: not done, delivered again
			}
			return &HandlerError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: herr}
		}
		cl.MarkCommitRecords(r)
		c.held.Add(-1)
	}
	return nil
}

// Account reports, in "records", the records the consumer fetched and did not commit at its
// stop — handed back to the group, which delivers them again (to another member, or after the
// restart); a consumer group loses nothing it did not commit. They are the records of the batch
// in hand that the hard stop or a handler's error left unhandled, the records fetched ahead and
// still buffered in the client when it closed, and records handled whose offsets the stop could
// not commit (those will be handled again). While Run still runs — an abandoned stop — the
// records of the batch not yet handled count too. It is safe for concurrent use.
func (c *Consumer) Account() grace.Account {
	return grace.Account{Unit: "records", HandedBack: c.handedBack.Load() + c.held.Load()}
}

// countLeft adds to the account what the client holds that will not be committed: records
// fetched and buffered, and records handled whose offsets are not committed. Called just before
// the client closes.
func (c *Consumer) countLeft(cl *kgo.Client) {
	n := cl.BufferedFetchRecords()
	committed := cl.CommittedOffsets()
	for topic, ps := range cl.MarkedOffsets() {
		for p, marked := range ps {
			if done, ok := committed[topic][p]; ok && marked.Offset > done.Offset {
				n += marked.Offset - done.Offset
			}
		}
	}
	c.handedBack.Add(n)
}

// rewind sets each partition's fetch position back to its first record in rest.
func rewind(cl *kgo.Client, rest []*kgo.Record) {
	to := map[string]map[int32]kgo.EpochOffset{}
	for _, r := range rest {
		ps := to[r.Topic]
		if ps == nil {
			ps = map[int32]kgo.EpochOffset{}
			to[r.Topic] = ps
		}
		if _, ok := ps[r.Partition]; !ok {
			ps[r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset}
		}
	}
	cl.SetOffsets(to)
}
