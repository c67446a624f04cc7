// Package connect is a stub of connectrpc.com/connect: the types gracevet recognises.
package connect

type Request[T any] struct{ Msg *T }

type Response[T any] struct{ Msg *T }
