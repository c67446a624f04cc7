package graceetcd

import (
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// DeregisterError says that the key could not be removed from etcd at the drain or stop. The key
// still disappears, when its lease expires: within TTL of the last keep-alive.
type DeregisterError struct {
	Key   string
	Lease clientv3.LeaseID
	TTL   time.Duration
	Err   error
}

func (e *DeregisterError) Error() string {
	if e.Lease == 0 {
		return fmt.Sprintf("deregister %q: %v; the key expires with its lease within %v", e.Key, e.Err, e.TTL)
	}
	return fmt.Sprintf("deregister %q: revoke lease %x: %v; the key expires with its lease within %v",
		e.Key, int64(e.Lease), e.Err, e.TTL)
}

func (e *DeregisterError) Unwrap() error { return e.Err }
