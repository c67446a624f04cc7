package api

import (
	"errors"
	"io"
	"time"
)

// errTooLarge is returned by a limitReader whose source holds more than its limit.
var errTooLarge = errors.New("body too large")

// limitReader reads at most limit bytes of r, then fails with errTooLarge if r has more. Unlike
// http.MaxBytesReader it keeps r's SetReadDeadline, so that gracehttp.CopyContext can interrupt a
// blocked read of an upload the moment the request is cancelled.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// SetReadDeadline sets r's read deadline, if r has one.
func (l *limitReader) SetReadDeadline(t time.Time) error {
	if d, ok := l.r.(interface{ SetReadDeadline(time.Time) error }); ok {
		return d.SetReadDeadline(t)
	}
	return errors.New("read deadlines not supported")
}
