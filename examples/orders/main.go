// Command orders is grace's reference service: an order-intake API that stores orders in SQLite
// (or PostgreSQL), publishes each to embedded NATS JetStream (or Kafka), fulfils them in a
// consumer, expires stale ones in a ticker job and keeps its pool healthy in another — and stops
// on SIGTERM without losing an order, a message or a file. See README.md.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr))
}
