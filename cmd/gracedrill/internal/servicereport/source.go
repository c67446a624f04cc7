package servicereport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// maxRead bounds what is read from a report file or URL.
const maxRead = 64 << 20

// Source is where the report of a service the drill did not start is read: a file (a JSON
// report, or a log the service appends to) or an http(s) URL serving the report or the log.
type Source struct {
	spec   string
	url    bool
	offset int64     // log file: its size when the drill started; older lines are not this run's
	start  time.Time // a whole-report file written before this is stale
	client *http.Client
}

// Open checks spec and notes where this run's part of a file begins. A file that does not exist
// yet is fine (the service may create it when it stops); a directory or a bad URL is not.
func Open(spec string, start time.Time) (*Source, error) {
	s := &Source{spec: spec, start: start}
	if strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://") {
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--service-report %q: not a usable URL", spec)
		}
		s.url, s.client = true, &http.Client{Timeout: 5 * time.Second}
		return s, nil
	}
	if strings.Contains(spec, "://") {
		return nil, fmt.Errorf("--service-report %q: want a file or an http(s):// URL", spec)
	}
	st, err := os.Stat(spec)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("--service-report: %w", err)
	case st.IsDir():
		return nil, fmt.Errorf("--service-report %q: is a directory; want the report or log file", spec)
	default:
		s.offset = st.Size()
	}
	return s, nil
}

// String returns the file or URL.
func (s *Source) String() string { return s.spec }

// Read reads the reports available now.
func (s *Source) Read(ctx context.Context) ([]Report, error) {
	if s.url {
		return s.readURL(ctx)
	}
	f, err := os.Open(s.spec)
	if err != nil {
		return nil, fmt.Errorf("service report: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("service report: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxRead))
	if err != nil {
		return nil, fmt.Errorf("service report: %w", err)
	}
	if whole := Parse(b); len(whole) == 1 && !st.ModTime().Before(s.start) && isDocument(b) {
		return whole, nil // a report file (re)written during this run
	}
	from := s.offset
	if int64(len(b)) < from { // truncated or rotated since the start: all of it is new
		from = 0
	}
	return Parse(b[from:]), nil
}

func isDocument(b []byte) bool {
	t := strings.TrimSpace(string(b))
	return strings.HasPrefix(t, "{") && !strings.Contains(t, "\n{")
}

func (s *Source) readURL(ctx context.Context) ([]Report, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.spec, nil)
	if err != nil {
		return nil, fmt.Errorf("service report: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("service report: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	if err != nil {
		return nil, fmt.Errorf("service report: %s: %w", s.spec, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("service report: %s answered %s", s.spec, resp.Status)
	}
	return Parse(b), nil
}

// Wait reads the source every poll until it holds at least one report, then once more after
// settle (so reports of a rollout's later instances are counted), or until timeout. It returns
// the last error when no report was found in time.
func (s *Source) Wait(ctx context.Context, timeout, poll, settle time.Duration) ([]Report, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var lastErr error
	for {
		rs, err := s.Read(ctx)
		if err == nil && len(rs) > 0 {
			select {
			case <-time.After(settle):
				if more, err := s.Read(ctx); err == nil && len(more) >= len(rs) {
					rs = more
				}
			case <-ctx.Done():
			}
			return rs, nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			if lastErr == nil {
				lastErr = fmt.Errorf("no shutdown report found in %s", s.spec)
			}
			return nil, fmt.Errorf("service report not found within %v: %w", timeout, lastErr)
		case <-time.After(poll):
		}
	}
}
