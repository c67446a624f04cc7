// Package graceetcd registers a service instance in etcd for as long as it should receive
// traffic: a grace component that puts a key under a lease once the app is ready, keeps the
// lease alive, and removes the key first thing when the app starts draining — before any
// listener closes — so clients that discover instances through etcd stop picking this one while
// it still serves.
//
// Every call to etcd is bounded (see [WithCallTimeout]), so an unreachable etcd never holds the
// stop beyond the component's limit: the drain reports why deregistration failed (a
// [*DeregisterError]) and the key expires with its lease.
package graceetcd
