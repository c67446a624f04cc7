package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// handler is the same request path for every style: /work answers "ok"; /work?ms=N first sends
// the status line and headers (so a client knows the request is in flight), sleeps N ms, then
// sends "ok".
func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		if ms, _ := strconv.Atoi(r.URL.Query().Get("ms")); ms > 0 {
			w.WriteHeader(http.StatusOK)
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte("ok\n"))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		lastEnd.Store(time.Now().UnixNano())
	})
	return mux
}

// withReadyz adds a /readyz that always answers 200, as the styles without a readiness flip
// have: it says "serving", never "draining".
func withReadyz(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ready\n")) })
	return mux
}

// component is a background part whose Close takes stopEach, or never returns.
type component struct {
	name     string
	stopEach time.Duration
	hang     bool
	out      *output
}

func (c *component) close(ctx context.Context) error {
	if c.hang {
		time.Sleep(24 * time.Hour) // a Close that never returns and ignores contexts
	}
	if c.stopEach > 0 {
		time.Sleep(c.stopEach) // a Close that ignores contexts, as most SDKs' do
	}
	c.out.say("closed " + c.name)
	return nil
}

func components(c config, out *output) []*component {
	var cs []*component
	for i := range c.components {
		cs = append(cs, &component{name: fmt.Sprintf("component-%02d", i), stopEach: c.stopEach, hang: c.hang && i == c.components/2, out: out})
	}
	return cs
}

// output serializes lines to stdout.
type output struct{ mu sync.Mutex }

func (o *output) say(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Println(s)
}

// plain is what a style without a readiness flip is given: its output, the listener on c.addr
// and the http.Server to serve on it.
type plain struct {
	out *output
	ln  net.Listener
	srv *http.Server
}

// plainStyle makes such a style's run function: if it cannot listen it prints why and exits 1.
func plainStyle(run func(config, plain) int) func(config) int {
	return func(c config) int {
		out := &output{}
		ln, err := listen(c.addr, out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return run(c, plain{out, ln, &http.Server{Handler: withReadyz(handler())}})
	}
}

func listen(addr string, out *output) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	out.say("listening " + ln.Addr().String())
	return ln, nil
}
