package gracehttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// CopyBufferSize is the size of the buffer CopyContext copies through.
const CopyBufferSize = 32 << 10

type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

type writeDeadliner interface {
	SetWriteDeadline(time.Time) error
}

// CopyContext copies from src to dst until EOF, an error, or ctx's end, and returns the bytes
// written and, on cancellation, context.Cause(ctx). It returns promptly on cancel even while a
// Read or Write blocks, provided the side that blocks supports deadlines: a net.Conn, an
// *os.File that is a pipe or socket, an http.ResponseWriter (through http.ResponseController),
// or a request body wrapped by [Body]. The deadline is set in the past on cancellation and left
// so: the stream is over. A reader without deadlines is read in a helper goroutine, which
// CopyContext leaves blocked in Read on cancel; it ends when that Read returns.
func CopyContext(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	if ctx.Done() == nil {
		return io.Copy(dst, src)
	}
	if err := ctx.Err(); err != nil {
		return 0, context.Cause(ctx)
	}
	rd, readOK := src.(readDeadliner)
	if f, ok := src.(*os.File); ok && readOK && f.SetReadDeadline(time.Time{}) != nil {
		readOK = false // a regular file: no deadlines, but reads never block for long either
		rd = nil
	}
	wd := writeDeadlinerOf(dst)
	stop := context.AfterFunc(ctx, func() {
		past := time.Unix(1, 0)
		if rd != nil {
			_ = rd.SetReadDeadline(past)
		}
		if wd != nil {
			_ = wd.SetWriteDeadline(past)
		}
	})
	defer stop()
	if readOK {
		n, err := copyLoop(ctx, dst, src.Read)
		return n, cancelled(ctx, err)
	}
	n, err := copyLoop(ctx, dst, asyncReader(ctx, src))
	return n, cancelled(ctx, err)
}

func writeDeadlinerOf(dst io.Writer) writeDeadliner {
	if w, ok := dst.(http.ResponseWriter); ok {
		return http.NewResponseController(w)
	}
	if w, ok := dst.(writeDeadliner); ok {
		return w
	}
	return nil
}

func cancelled(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

func copyLoop(ctx context.Context, dst io.Writer, read func([]byte) (int, error)) (int64, error) {
	buf := make([]byte, CopyBufferSize)
	var total int64
	for {
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
		n, rerr := read(buf)
		if n > 0 {
			w, werr := dst.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
			if w != n {
				return total, io.ErrShortWrite
			}
		}
		if errors.Is(rerr, io.EOF) {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

type readResult struct {
	buf []byte
	n   int
	err error
}

// asyncReader reads src on a helper goroutine, so a blocked Read cannot hold the copy past ctx's
// end. Each read gets a buffer of its own: one abandoned on cancel stays the helper's.
func asyncReader(ctx context.Context, src io.Reader) func([]byte) (int, error) {
	return func(p []byte) (int, error) {
		res := make(chan readResult, 1)
		buf := make([]byte, len(p))
		go func() {
			n, err := src.Read(buf)
			res <- readResult{buf, n, err}
		}()
		select {
		case r := <-res:
			copy(p, r.buf[:r.n])
			return r.n, r.err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// Body returns r's body with read deadlines set through w's http.ResponseController, so that
// [CopyContext] can interrupt a blocked read of an upload.
func Body(w http.ResponseWriter, r *http.Request) io.Reader {
	return &body{ReadCloser: r.Body, rc: http.NewResponseController(w)}
}

type body struct {
	io.ReadCloser
	rc *http.ResponseController
}

func (b *body) SetReadDeadline(t time.Time) error { return b.rc.SetReadDeadline(t) }
