package main

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/gracekit/grace/examples/orders/internal/store"
)

// backend is one storage + messaging combination the service runs on.
type backend struct {
	name    string
	args    []string       // flags selecting it (data dir included)
	dataDir string         // attachments and, for SQLite, the database
	open    func() *sql.DB // opens the service's database for checks
	isPG    bool
	pgDB    string         // the fresh database's name, for PostgreSQL
	admin   func() *sql.DB // the PostgreSQL server's maintenance database
}

// defaults: SQLite and embedded NATS JetStream in a fresh data directory.
func defaults(t *testing.T) *backend {
	dir := t.TempDir()
	return &backend{name: "sqlite+nats", dataDir: dir, args: []string{"--data-dir", dir},
		open: func() *sql.DB { return openDB(t, "sqlite", store.SQLiteDSN(dir)) }}
}

// postgres: a fresh database on the PostgreSQL of GRACE_TEST_PG_DSN (scripts/services), dropped
// after the test; embedded NATS.
func postgres(t *testing.T) *backend {
	dsn := os.Getenv("GRACE_TEST_PG_DSN")
	if dsn == "" {
		t.Fatal("GRACE_TEST_PG_DSN is not set: start PostgreSQL with scripts/services (make test does)")
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		t.Fatalf("GRACE_TEST_PG_DSN must be a postgres:// URL")
	}
	name := "orders_" + strings.ToLower(store.NewID()[:12])
	admin := openDB(t, "pgx", dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database: %v", err)
		}
	})
	u.Path = "/" + name
	own := u.String()
	dir := t.TempDir()
	return &backend{name: "postgres+nats", dataDir: dir, isPG: true, pgDB: name,
		args:  []string{"--data-dir", dir, "--pg-dsn", own},
		open:  func() *sql.DB { return openDB(t, "pgx", own) },
		admin: func() *sql.DB { return admin }}
}

// kafka: SQLite and a kfake Kafka cluster in the test process (no Kafka broker can be installed
// here; kfake speaks the real protocol, consumer groups and commits included).
func kafka(t *testing.T) *backend {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dir := t.TempDir()
	return &backend{name: "sqlite+kafka", dataDir: dir,
		args: []string{"--data-dir", dir, "--kafka-brokers", strings.Join(c.ListenAddrs(), ","), "--kafka-instance-id", "orders-test-1"},
		open: func() *sql.DB { return openDB(t, "sqlite", store.SQLiteDSN(dir)) }}
}

// rabbitmq: SQLite and the RabbitMQ of GRACE_TEST_AMQP_URL (scripts/services), with a queue of
// the test's own, deleted after the test.
func rabbitmq(t *testing.T) *backend {
	u := os.Getenv("GRACE_TEST_AMQP_URL")
	if u == "" {
		t.Fatal("GRACE_TEST_AMQP_URL is not set: start RabbitMQ with scripts/services (make test does)")
	}
	queue := "orders-" + strings.ToLower(store.NewID()[:12])
	t.Cleanup(func() {
		conn, err := amqp.Dial(u)
		if err != nil {
			t.Errorf("delete queue: %v", err)
			return
		}
		defer conn.Close()
		if ch, err := conn.Channel(); err == nil {
			ch.QueueDelete(queue, false, false, false)
		}
	})
	dir := t.TempDir()
	return &backend{name: "sqlite+rabbitmq", dataDir: dir,
		args: []string{"--data-dir", dir, "--amqp-url", u, "--amqp-queue", queue},
		open: func() *sql.DB { return openDB(t, "sqlite", store.SQLiteDSN(dir)) }}
}

func openDB(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
