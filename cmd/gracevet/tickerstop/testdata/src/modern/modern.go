//go:build go1.23

// Look-alike: since Go 1.23 a ticker nothing refers to is garbage collected without Stop.
package modern

import (
	"context"
	"time"
)

func Poll(ctx context.Context, work func() error) error {
	t := time.NewTicker(time.Second)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := work(); err != nil {
				return err
			}
		}
	}
}
