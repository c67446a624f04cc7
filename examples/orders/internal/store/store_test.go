package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T) *Store {
	t.Helper()
	st, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

var items = []Item{{SKU: "a", Quantity: 2, PriceCents: 150}}

func TestMigrateIsIdempotent(t *testing.T) {
	st := open(t)
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
		t.Fatalf("schema_migrations: %d rows (%v), want %d", n, err, len(migrations))
	}
}

// Fulfil changes a new order once: a second delivery of the same message has no effect.
func TestFulfilIsIdempotent(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	o, err := st.CreateOrder(ctx, "c", items, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.TotalCents != 300 {
		t.Errorf("total %d, want 300", o.TotalCents)
	}
	for i, want := range []bool{true, false, false} {
		got, err := st.Fulfil(ctx, o.ID)
		if err != nil || got != want {
			t.Fatalf("fulfil #%d: %v %v, want %v", i+1, got, err, want)
		}
	}
	var events int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM order_events WHERE order_id = $1 AND kind = 'fulfilled'`, o.ID).Scan(&events); err != nil || events != 1 {
		t.Fatalf("fulfilled events %d (%v), want 1", events, err)
	}
	got, err := st.Get(ctx, o.ID)
	if err != nil || got.Status != StatusFulfilled || got.FulfilledAt == nil {
		t.Fatalf("get: %+v %v", got, err)
	}
	// An unknown order is not an error: its message is acknowledged and dropped.
	if ok, err := st.Fulfil(ctx, NewID()); ok || err != nil {
		t.Fatalf("unknown order: %v %v", ok, err)
	}
}

// A create whose context ends before the commit leaves nothing: not the order, not its event.
func TestCreateRollsBackOnCancel(t *testing.T) {
	st := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := st.CreateOrder(ctx, "held", items, func(ctx context.Context) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	var orders, events int
	db := st.DB()
	if err := db.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&orders); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM order_events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if orders != 0 || events != 0 {
		t.Fatalf("%d orders, %d events after a cancelled create", orders, events)
	}
	// The connection went back to the pool usable: the next write succeeds.
	if _, err := st.CreateOrder(context.Background(), "next", items, nil); err != nil {
		t.Fatal(err)
	}
}

func TestExpireStaleOnlyTouchesOldNewOrders(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	a, _ := st.CreateOrder(ctx, "a", items, nil)
	b, _ := st.CreateOrder(ctx, "b", items, nil)
	if _, err := st.Fulfil(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := st.ExpireStale(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("expired %d (%v) young orders", n, err)
	}
	if n, err := st.ExpireStale(ctx, -time.Second); err != nil || n != 1 {
		t.Fatalf("expired %d (%v), want 1", n, err)
	}
	ga, _ := st.Get(ctx, a.ID)
	gb, _ := st.Get(ctx, b.ID)
	if ga.Status != StatusExpired || gb.Status != StatusFulfilled {
		t.Fatalf("statuses %q %q", ga.Status, gb.Status)
	}
	// An expired order is not fulfilled by a late message.
	if ok, _ := st.Fulfil(ctx, a.ID); ok {
		t.Fatal("fulfilled an expired order")
	}
}
