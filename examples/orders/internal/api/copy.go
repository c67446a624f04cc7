package api

import (
	"context"
	"io"
)

// CopyContext copies src to dst until EOF, an error, or ctx ends. When ctx ends it returns at
// once with ctx's cause, even if a Read is blocked (that Read is left to finish on its own).
// TODO(gracehttp): replace with gracehttp.CopyContext once it lands.
func CopyContext(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	type chunk struct {
		n   int
		err error
	}
	buf := make([]byte, 32<<10)
	var total int64
	for {
		if err := context.Cause(ctx); err != nil {
			return total, err
		}
		ch := make(chan chunk, 1)
		go func() {
			n, err := src.Read(buf)
			ch <- chunk{n, err}
		}()
		select {
		case <-ctx.Done():
			return total, context.Cause(ctx)
		case c := <-ch:
			if c.n > 0 {
				w, err := dst.Write(buf[:c.n])
				total += int64(w)
				if err != nil {
					return total, err
				}
			}
			if c.err == io.EOF {
				return total, nil
			}
			if c.err != nil {
				return total, c.err
			}
		}
	}
}
