package broker

import (
	"context"
	"errors"

	"github.com/gracekit/grace"
)

// adapterConsumer is what the adapters' consumers (graceamqp's, gracenats') are to grace.
type adapterConsumer interface {
	Start(ctx context.Context) error
	Run(ctx context.Context) error
	Stop(ctx context.Context) error
	Account() grace.Account
}

// madeAtStart forwards Run, Stop and Account to the adapter's consumer that the embedding
// type's Start makes (the connection it needs exists only then). Before Start, Run fails and
// Stop and Account have nothing to do.
type madeAtStart struct {
	inner adapterConsumer
}

var errNotStarted = errors.New("consumer not started")

// Run handles messages until the stop.
func (m *madeAtStart) Run(ctx context.Context) error {
	if m.inner == nil {
		return errNotStarted
	}
	return m.inner.Run(ctx)
}

// Stop is the adapter consumer's stop.
func (m *madeAtStart) Stop(ctx context.Context) error {
	if m.inner == nil {
		return nil
	}
	return m.inner.Stop(ctx)
}

// Account is the adapter consumer's: what it lost and what it handed back for redelivery.
func (m *madeAtStart) Account() grace.Account {
	if m.inner == nil {
		return grace.Account{}
	}
	return m.inner.Account()
}
