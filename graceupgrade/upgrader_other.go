//go:build !unix

package graceupgrade

import (
	"context"
	"net"

	"github.com/gracekit/grace"
)

// Upgrader hands a process's named sockets to its successor. On this system descriptors cannot
// be passed to a new process: every method returns [ErrUnsupported], and an app with an
// Upgrader refuses to start (Validate).
type Upgrader struct{}

// New returns an Upgrader whose methods return [ErrUnsupported].
func New(app *grace.App, opts ...Option) *Upgrader { return &Upgrader{} }

// Validate returns [ErrUnsupported].
func (u *Upgrader) Validate() error { return ErrUnsupported }

// Successor reports false.
func (u *Upgrader) Successor() bool { return false }

// Stats returns zero counts.
func (u *Upgrader) Stats() Stats { return Stats{} }

// Listen returns [ErrUnsupported].
func (u *Upgrader) Listen(name, network, address string) (net.Listener, error) {
	return nil, ErrUnsupported
}

// ListenPacket returns [ErrUnsupported].
func (u *Upgrader) ListenPacket(name, network, address string) (net.PacketConn, error) {
	return nil, ErrUnsupported
}

// Files returns [ErrUnsupported].
func (u *Upgrader) Files() ([]NamedFile, error) { return nil, ErrUnsupported }

// Upgrade returns [ErrUnsupported].
func (u *Upgrader) Upgrade(ctx context.Context) (int, error) { return 0, ErrUnsupported }

// Start returns [ErrUnsupported].
func (u *Upgrader) Start(ctx context.Context) error { return ErrUnsupported }

// Run returns nil at once.
func (u *Upgrader) Run(ctx context.Context) error { return nil }

// Drain returns nil.
func (u *Upgrader) Drain(ctx context.Context) error { return nil }

// Stop returns nil.
func (u *Upgrader) Stop(ctx context.Context) error { return nil }

// Notify returns [ErrUnsupported].
func Notify(addr, state string) error { return ErrUnsupported }

// AdminAddr returns nil.
func (u *Upgrader) AdminAddr() net.Addr { return nil }
