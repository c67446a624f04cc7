package gracehttp_test

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace/gracehttp"
)

// BenchmarkDrainTail measures, over at least 100 drains each, the time from the end of the last
// in-flight request to the stop returning: gracehttp's Stop against plain Server.Shutdown, with
// 8 requests in flight that end at random times within 20 ms of the stop's start.
func BenchmarkDrainTail(b *testing.B) {
	const drains = 100
	var graceTails, stdTails []time.Duration
	for range b.N {
		for range drains {
			graceTails = append(graceTails, drainTail(b, true))
			stdTails = append(stdTails, drainTail(b, false))
		}
	}
	b.ReportMetric(percentileMs(graceTails, 0.99), "grace-p99-ms")
	b.ReportMetric(percentileMs(stdTails, 0.99), "stdlib-p99-ms")
	b.ReportMetric(percentileMs(graceTails, 0.50), "grace-p50-ms")
	b.ReportMetric(percentileMs(stdTails, 0.50), "stdlib-p50-ms")
	b.ReportMetric(0, "ns/op")
}

func percentileMs(ds []time.Duration, p float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(int(float64(len(s))*p), len(s)-1)
	return float64(s[i]) / float64(time.Millisecond)
}

func drainTail(b *testing.B, useGrace bool) time.Duration {
	const inflight = 8
	start := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(inflight)
	var lastEnd atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Done()
		<-start
		time.Sleep(time.Duration(rand.Int64N(int64(20 * time.Millisecond))))
		io.WriteString(w, "done")
		for now := time.Now().UnixNano(); ; {
			last := lastEnd.Load()
			if now <= last || lastEnd.CompareAndSwap(last, now) {
				break
			}
		}
	})
	ln := listen(b)
	srv := &http.Server{Handler: h}
	var s *gracehttp.Server
	if useGrace {
		s = gracehttp.New(srv, gracehttp.WithListener(ln))
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
	} else {
		go srv.Serve(ln)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: inflight}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	var clients sync.WaitGroup
	for range inflight {
		clients.Go(func() {
			if resp, err := c.Get("http://" + ln.Addr().String()); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	entered.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	close(start)
	var err error
	if useGrace {
		err = s.Stop(ctx)
	} else {
		err = srv.Shutdown(ctx)
	}
	stopped := time.Now()
	if err != nil {
		b.Fatal(err)
	}
	clients.Wait()
	return stopped.Sub(time.Unix(0, lastEnd.Load()))
}

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkMiddleware measures gracehttp's per-request tracking around a handler that does
// nothing: ns/op and allocs/req are per request through the tracking, handler-ns/op is the same
// handler called directly, measured in the same run, and overhead-ns/op the difference. Each
// iteration makes 1<<20 calls of each, so -benchtime 1x measures too.
func BenchmarkMiddleware(b *testing.B) {
	const calls = 1 << 20
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	srv := &http.Server{Handler: bare}
	s := gracehttp.New(srv, gracehttp.WithListener(listen(b)))
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Stop(context.Background())
	wrapped := srv.Handler
	w := &nopWriter{h: http.Header{}}
	r := httptest.NewRequest("GET", "/api/items", nil)
	var bareD, wrappedD time.Duration
	var mallocs uint64
	var m0, m1 runtime.MemStats
	for range b.N {
		t0 := time.Now()
		for range calls {
			bare.ServeHTTP(w, r)
		}
		bareD += time.Since(t0)
		runtime.ReadMemStats(&m0)
		t1 := time.Now()
		for range calls {
			wrapped.ServeHTTP(w, r)
		}
		wrappedD += time.Since(t1)
		runtime.ReadMemStats(&m1)
		mallocs += m1.Mallocs - m0.Mallocs
	}
	n := float64(calls * b.N)
	b.ReportMetric(float64(wrappedD)/n, "ns/op")
	b.ReportMetric(float64(bareD)/n, "handler-ns/op")
	b.ReportMetric(float64(wrappedD-bareD)/n, "overhead-ns/op")
	b.ReportMetric(float64(mallocs)/n, "allocs/req")
}

// BenchmarkIdleConns drains 5,000 idle keep-alive connections: gracehttp's Stop (grace-ms),
// plain Server.Shutdown (stdlib-ms), and closing the same number of accepted sockets directly,
// on one goroutine per CPU (rawclose-ms), in the same run: medians over five
// rounds per b.N, the three rotating order. bytes/conn is the memory gracehttp allocates per
// tracked connection, beyond net/http's own.
func BenchmarkIdleConns(b *testing.B) {
	const n = 5000
	var graceD, stdD, rawD []time.Duration
	for i := range 5 * b.N {
		// Rotate the order, so that none of the three always runs first.
		for j := range 3 {
			switch (i + j) % 3 {
			case 0:
				graceD = append(graceD, idleDrain(b, n, "grace"))
			case 1:
				stdD = append(stdD, idleDrain(b, n, "stdlib"))
			case 2:
				rawD = append(rawD, idleDrain(b, n, "raw"))
			}
		}
	}
	g, s, r := percentileMs(graceD, 0.5), percentileMs(stdD, 0.5), percentileMs(rawD, 0.5)
	b.ReportMetric(g, "grace-ms")
	b.ReportMetric(s, "stdlib-ms")
	b.ReportMetric(r, "rawclose-ms")
	b.ReportMetric(g/r, "grace/rawclose")
	b.ReportMetric(float64(gracehttp.TrackedConnBytes(n)), "bytes/conn")
	b.ReportMetric(0, "ns/op")
}

// idleDrain opens n keep-alive connections that each made one request, then times the drain;
// the medians over b.N rounds are reported.
func idleDrain(b *testing.B, n int, mode string) time.Duration {
	ln := listen(b)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	var s *gracehttp.Server
	var served sync.WaitGroup
	var rawConns []net.Conn
	var rawMu sync.Mutex
	switch mode {
	case "grace":
		s = gracehttp.New(srv, gracehttp.WithListener(ln))
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
	case "stdlib":
		served.Go(func() { srv.Serve(ln) })
	case "raw":
		served.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				rawMu.Lock()
				rawConns = append(rawConns, c)
				rawMu.Unlock()
			}
		})
	}
	clients := make([]net.Conn, n)
	var dial sync.WaitGroup
	for w := range 16 {
		dial.Go(func() {
			for i := w; i < n; i += 16 {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Error(err)
					return
				}
				clients[i] = c
				if mode == "raw" {
					continue
				}
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	dial.Wait()
	if b.Failed() {
		b.FailNow()
	}
	for mode == "raw" {
		rawMu.Lock()
		got := len(rawConns)
		rawMu.Unlock()
		if got == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	runtime.GC()
	time.Sleep(50 * time.Millisecond) // the server's connections are idle now
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	begin := time.Now()
	switch mode {
	case "grace":
		if err := s.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	case "stdlib":
		if err := srv.Shutdown(ctx); err != nil {
			b.Fatal(err)
		}
	case "raw":
		ln.Close()
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(rawConns); i += workers {
					rawConns[i].Close()
				}
			})
		}
		wg.Wait()
	}
	took := time.Since(begin)
	served.Wait()
	for _, c := range clients {
		c.Close()
	}
	return took
}

// throughputRounds: one-second wrk runs against the same server vary by several percent on a
// shared 2-core machine; the median of more rounds' ratios varies less from run to run.
const throughputRounds = 15

// BenchmarkThroughput runs wrk (Debian package) on loopback against the same handler served
// three ways in the same run: bare net/http (stdlib-rps), net/http with the timeouts gracehttp
// sets by default (stdlib-timeouts-rps), and gracehttp (grace-rps). ratio is grace-rps/stdlib-rps;
// ratio-same-timeouts isolates the tracking from the safe defaults. Per b.N the three servers are
// started once and each gets one discarded warm-up run (so no measured run includes a cold
// start); then throughputRounds rounds of one second each against the three, in rotating order.
// The ratios are the medians of each round's own ratios, so load that drifts between rounds
// cancels out.
func BenchmarkThroughput(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Fatalf("wrk not found on PATH (Debian package wrk): %v", err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello, world\n") })
	rpsRe := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	measure := func(addr string) float64 {
		out, err := exec.Command(wrk, "-t1", "-c32", "-d1s", "http://"+addr+"/").CombinedOutput()
		m := rpsRe.FindSubmatch(out)
		if err != nil || m == nil {
			b.Fatalf("wrk: %v\n%s", err, out)
		}
		rps, _ := strconv.ParseFloat(string(m[1]), 64)
		return rps
	}
	var rps [3][]float64
	var ratios, ratiosSame []float64
	for range b.N {
		var addrs [3]string
		var stops [3]func()
		for mode := range 3 {
			ln := listen(b)
			srv := &http.Server{Handler: h}
			addrs[mode] = ln.Addr().String()
			switch mode {
			case 0, 1:
				if mode == 1 {
					srv.ReadHeaderTimeout, srv.IdleTimeout = gracehttp.DefaultReadHeaderTimeout, gracehttp.DefaultIdleTimeout
				}
				served := make(chan struct{})
				go func() { defer close(served); srv.Serve(ln) }()
				stops[mode] = func() { srv.Close(); <-served }
			case 2:
				s := gracehttp.New(srv, gracehttp.WithListener(ln))
				if err := s.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				stops[mode] = func() {
					if err := s.Stop(context.Background()); err != nil {
						b.Error(err)
					}
				}
			}
		}
		for mode := range 3 {
			measure(addrs[mode]) // warm-up, discarded
		}
		for i := range throughputRounds {
			var round [3]float64
			for j := range 3 {
				mode := (i + j) % 3
				round[mode] = measure(addrs[mode])
				rps[mode] = append(rps[mode], round[mode])
			}
			ratios = append(ratios, round[2]/round[0])
			ratiosSame = append(ratiosSame, round[2]/round[1])
		}
		for _, stop := range stops {
			stop()
		}
	}
	b.ReportMetric(median(rps[0]), "stdlib-rps")
	b.ReportMetric(median(rps[1]), "stdlib-timeouts-rps")
	b.ReportMetric(median(rps[2]), "grace-rps")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(ratiosSame), "ratio-same-timeouts")
	b.ReportMetric(0, "ns/op")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
