// Package bbolt is a stub of go.etcd.io/bbolt.
package bbolt

type DB struct{}

func (*DB) Close() error { return nil }
