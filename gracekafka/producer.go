package gracekafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	"github.com/gracekit/grace/internal/option"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Producer is a franz-go client used for producing, as a grace component: a [grace.Starter] and
// a [grace.Stopper]. Add it before the components that produce with it (or name it in their
// grace.DependsOn), so it flushes after they have stopped producing.
type Producer struct {
	cl  *kgo.Client
	cfg config

	once   sync.Once
	closed chan struct{}
	lost   atomic.Int64 // records failed by the close, never acknowledged
}

// NewProducer returns a component for cl. The caller creates cl (kgo.NewClient) and hands it to
// the components that produce; the component flushes and closes it. It takes [WithCutMargin].
func NewProducer(cl *kgo.Client, opts ...Option) *Producer {
	return &Producer{cl: cl, cfg: newConfig(opts), closed: make(chan struct{})}
}

// Validate reports a nil client and the options that are wrong, as a *grace.ConfigError.
func (p *Producer) Validate() error {
	return p.cfg.Err(option.Check(p.cl == nil, "nil *kgo.Client"))
}

// Client returns the client.
func (p *Producer) Client() *kgo.Client { return p.cl }

// Closed returns a channel that is closed once the client has closed.
func (p *Producer) Closed() <-chan struct{} { return p.closed }

// Start pings the brokers with ctx, so unreachable brokers fail the app's start with
// "reach kafka brokers: ...". A configuration that Validate rejects fails too. A failed Start
// leaves the client open: the caller created it.
func (p *Producer) Start(ctx context.Context) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := p.cl.Ping(ctx); err != nil {
		return fmt.Errorf("reach kafka brokers: %w", err)
	}
	return nil
}

// Stop flushes every buffered record — waiting for the brokers to acknowledge each, or for it to
// fail — then closes the client. Both are bounded by ctx. The flush ends at the cut point,
// grace.CutAt(ctx, margin) ([WithCutMargin]). If it has not finished by then, Stop closes the
// client, which fails the records still buffered (their promises see kgo.ErrClientClosed), counts them as lost
// ([Producer.Account]) and returns an [UndeliveredError] with their count. A close that outlives
// ctx finishes in the background (see [Producer.Closed]) and Stop returns ctx's cause. Calling
// Stop again only waits for the close.
func (p *Producer) Stop(ctx context.Context) error {
	if p.cl == nil {
		return nil
	}
	var err error
	flushCtx, cancel := cutctx.Until(ctx, p.cfg.cutMargin)
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
			err = fmt.Errorf("flush: %w", why)
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
		err = errors.Join(err, fmt.Errorf("close: %w", context.Cause(ctx)))
	}
	return err
}

// Account reports, in "records", the records the producer lost: those still buffered —
// produced and never acknowledged by the brokers — when its flush was cut off and the close
// failed them (the count of the [UndeliveredError]). Records are produced by the components that
// use the client, so what they get back from their promises is theirs to report; the producer
// counts what its own stop failed. It is safe for concurrent use.
func (p *Producer) Account() grace.Account {
	return grace.Account{Unit: "records", Lost: p.lost.Load()}
}
