package load

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
)

// Classify maps a transport or body-read error to a failure kind. It inspects the error chain
// (errors.Is / errors.As), never the message.
func Classify(err error) record.Kind {
	var netErr net.Error
	switch {
	case err == nil:
		return record.OK
	case errors.Is(err, syscall.ECONNREFUSED):
		return record.Refused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return record.Reset
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return record.Timeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return record.EOF
	default:
		return record.Other
	}
}

// seqHeader is the header vegeta puts on every request with the request's sequence number. The
// classifying transport uses it to hand the kind of a failure to the result consumer, because
// vegeta keeps only the error's message in its Result.
const seqHeader = "X-Vegeta-Seq"

// kindTable remembers the classified failure of a request by its sequence number until the
// consumer of vegeta's results takes it. Only failures are stored.
type kindTable struct {
	mu    sync.Mutex
	kinds map[string]record.Kind
}

func newKindTable() *kindTable { return &kindTable{kinds: make(map[string]record.Kind)} }

func (t *kindTable) put(seq string, k record.Kind) {
	t.mu.Lock()
	if _, seen := t.kinds[seq]; !seen { // the first failure of a request is its cause
		t.kinds[seq] = k
	}
	t.mu.Unlock()
}

func (t *kindTable) take(seq string) (record.Kind, bool) {
	t.mu.Lock()
	k, ok := t.kinds[seq]
	delete(t.kinds, seq)
	t.mu.Unlock()
	return k, ok
}

// classifyingTransport enforces the per-request timeout (from sending the request to reading
// the last byte of the body) and classifies every failure of the wrapped transport, including
// failures while the body is read, storing the kind in a kindTable. It owns the timeout because
// http.Client.Timeout sometimes cancels through the legacy Request.Cancel path, whose error
// ("request canceled") does not say it was a timeout.
type classifyingTransport struct {
	next    http.RoundTripper
	kinds   *kindTable
	timeout time.Duration
}

func (t *classifyingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	seq := req.Header.Get(seqHeader)
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		k := Classify(err)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			k = record.Timeout
		}
		cancel()
		t.kinds.put(seq, k)
		return nil, err
	}
	resp.Body = &classifyingBody{ReadCloser: resp.Body, seq: seq, kinds: t.kinds, ctx: ctx, cancel: cancel}
	return resp, nil
}

type classifyingBody struct {
	io.ReadCloser
	seq    string
	kinds  *kindTable
	ctx    context.Context
	cancel context.CancelFunc
}

func (b *classifyingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		k := Classify(err)
		if errors.Is(b.ctx.Err(), context.DeadlineExceeded) {
			k = record.Timeout
		}
		b.kinds.put(b.seq, k)
	}
	return n, err
}

func (b *classifyingBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// kindOf decides the kind of a finished vegeta result: the transport's classification when there
// is one, else the status code; a failure nobody classified is "other" unless vegeta's message
// says the client timed out.
func kindOf(status uint16, errMsg string, classified record.Kind, wasClassified bool) record.Kind {
	switch {
	case wasClassified:
		return classified
	case errMsg == "" && status >= 200 && status < 400:
		return record.OK
	case status >= 500:
		return record.Status5xx
	case strings.Contains(errMsg, "Client.Timeout"):
		return record.Timeout
	default:
		return record.Other
	}
}
