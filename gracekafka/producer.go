package gracekafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace"
	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	_ grace.Starter   = (*Producer)(nil)
	_ grace.Stopper   = (*Producer)(nil)
	_ grace.Accounter = (*Producer)(nil)
)

// CloseReserve is the most of a [Producer]'s stop time kept back from the flush for closing
// the client and reporting records not delivered.
const CloseReserve = time.Second

// Producer is a franz-go client used for producing, as a grace component: a [grace.Starter] and
// a [grace.Stopper]. Add it before the components that produce with it (or name it in their
// grace.DependsOn), so it flushes after they have stopped producing.
type Producer struct {
	cl *kgo.Client

	once   sync.Once
	closed chan struct{}
	lost   atomic.Int64 // records failed by the close, never acknowledged
}

// NewProducer returns a component for cl. The caller creates cl (kgo.NewClient) and hands it to
// the components that produce; the component flushes and closes it.
func NewProducer(cl *kgo.Client) *Producer {
	return &Producer{cl: cl, closed: make(chan struct{})}
}

// Client returns the client.
func (p *Producer) Client() *kgo.Client { return p.cl }

// Closed returns a channel that is closed once the client has closed.
func (p *Producer) Closed() <-chan struct{} { return p.closed }

// Start pings the brokers with ctx, so unreachable brokers fail the app's start with
// "reach kafka brokers: ...". A nil client fails too. A failed Start leaves the client open: the
// caller created it.
func (p *Producer) Start(ctx context.Context) error {
	if p.cl == nil {
		return errors.New("reach kafka brokers: nil *kgo.Client")
	}
	if err := p.cl.Ping(ctx); err != nil {
		return fmt.Errorf("reach kafka brokers: %w", err)
	}
	return nil
}

// Stop flushes every buffered record — waiting for the brokers to acknowledge each, or for it to
// fail — then closes the client. Both are bounded by ctx. The flush ends at the cut,
// grace.CutAt(ctx, [CloseReserve]): it may use all but a tenth of the time ctx leaves, and at
// most [CloseReserve] is kept back. If it has not finished by then, Stop closes the client, which
// fails the records still buffered (their promises see kgo.ErrClientClosed), counts them as lost
// ([Producer.Account]) and returns an [UndeliveredError] with their count. A close that outlives
// ctx finishes in the background (see [Producer.Closed]) and Stop returns ctx's cause. Calling
// Stop again only waits for the close.
func (p *Producer) Stop(ctx context.Context) error {
	if p.cl == nil {
		return nil
	}
	var err error
	flushCtx, cancel := withReserve(ctx)
	defer cancel()
	if ferr := p.cl.Flush(flushCtx); ferr != nil {
		why := ferr
		if flushCtx.Err() != nil {
			why = context.Cause(flushCtx)
		}
		if n := p.cl.BufferedProduceRecords(); n > 0 {
			p.lost.Store(n)
			err = &UndeliveredError{Records: n, Err: why}
		} else {
			err = fmt.Errorf("flush kafka producer: %w", why)
		}
	}
	p.once.Do(func() {
		go func() {
			p.cl.Close()
			close(p.closed)
		}()
	})
	select {
	case <-p.closed:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("close kafka producer: %w", context.Cause(ctx)))
	}
	return err
}

// withReserve returns ctx with its deadline brought forward to the cut, grace.CutAt with
// [CloseReserve] as the margin (clamped to a tenth of the time left): the time kept for closing
// the client and reporting what was not delivered before the component's own deadline.
func withReserve(ctx context.Context) (context.Context, context.CancelFunc) {
	cut, ok := grace.CutAt(ctx, CloseReserve)
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadlineCause(ctx, cut, errFlushDeadline)
}

// Account reports, in "records", the records the producer lost: those still buffered —
// produced and never acknowledged by the brokers — when its flush was cut off and the close
// failed them (the count of the [UndeliveredError]). Records are produced by the components that
// use the client, so what they get back from their promises is theirs to report; the producer
// counts what its own stop failed. It is safe for concurrent use.
func (p *Producer) Account() grace.Account {
	return grace.Account{Unit: "records", Lost: p.lost.Load()}
}

// errFlushDeadline ends a flush shortly before the stop's deadline.
var errFlushDeadline = fmt.Errorf("flush cut off before the stop deadline: %w", context.DeadlineExceeded)
