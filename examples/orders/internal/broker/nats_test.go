package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Every published id is handled; one whose handler fails is delivered again; at the soft stop
// the consumer returns, and a restart on the same store delivers nothing twice.
func TestNATSDeliversEveryMessageAndRedeliversFailures(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := NewNATSServer(dir)
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	client := NewNATS(srv)
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 40
	var mu sync.Mutex
	seen := map[string]int{}
	failedOnce := false
	all := make(chan struct{})
	handle := func(ctx context.Context, id string) error {
		mu.Lock()
		defer mu.Unlock()
		if id == "order-7" && !failedOnce {
			failedOnce = true
			return errors.New("transient")
		}
		seen[id]++
		if len(seen) == n {
			select {
			case <-all:
			default:
				close(all)
			}
		}
		return nil
	}
	cons := NewNATSConsumer(client, handle, quiet)
	if err := cons.Start(ctx); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- cons.Run(ctx) }()
	for i := range n {
		if err := client.Publish(ctx, fmt.Sprintf("order-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-ctx.Done():
		t.Fatalf("only %d of %d handled", len(seen), n)
	}
	if err := cons.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-runDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after Stop")
	}
	if err := client.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !failedOnce {
		t.Fatal("the failing delivery never happened")
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s handled %d times", id, c)
		}
	}
}

// The consumer's Account is gracenats': while the handler holds a message, that message and those
// pulled ahead would be handed back if the process stopped now, and a clean stop loses nothing.
func TestNATSConsumerAccountsWhatItHolds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := NewNATSServer(t.TempDir())
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)
	client := NewNATS(srv)
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(ctx)
	for i := range 10 {
		if err := client.Publish(ctx, fmt.Sprintf("order-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	inHand, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	cons := NewNATSConsumer(client, func(ctx context.Context, id string) error {
		once.Do(func() { close(inHand) })
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, quiet)
	if acc := cons.Account(); acc.HandedBack != 0 || acc.Lost != 0 {
		t.Fatalf("Account before Start: %+v, want nothing", acc)
	}
	if err := cons.Start(ctx); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- cons.Run(ctx) }()
	select {
	case <-inHand:
	case <-ctx.Done():
		t.Fatal("no message reached the handler")
	}
	if acc := cons.Account(); acc.HandedBack == 0 {
		t.Errorf("Account with a message in hand: handed back %d, want the messages held counted", acc.HandedBack)
	}
	close(release)
	if err := cons.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	if acc := cons.Account(); acc.Lost != 0 {
		t.Errorf("Account after a clean stop: %d lost, want none", acc.Lost)
	}
}
