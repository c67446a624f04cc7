package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"exitlib"
	"warc"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err) // no defer pending yet: fine
	}
	defer ln.Close() // the kernel closes sockets anyway: not a pending defer that matters
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()

	srv := &server{}
	if err := srv.Serve(ln); err != nil {
		log.Fatalf("serve: %v", err) // want `log.Fatalf skips the deferred out.Flush\(\) \(line 25\): return \(or return an error\) instead, and exit only from main once cleanup has run`
	}
}

// server stands in for *http.Server: what counts is a Shutdown(ctx) method.
type server struct{}

func (*server) Serve(net.Listener) error           { return nil }
func (*server) Shutdown(ctx context.Context) error { return nil }

// Positive: os.Exit right after Shutdown, with no defers.
func stop(srv *server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel() // a cancel func does not matter at exit
	if err := srv.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v", err)
	}
	os.Exit(0) // want `os.Exit after srv.Shutdown\(\) \(line 43\) abandons goroutines and skips the cleanup that follows shutdown: return from main instead`
}

// Look-alike: the exit is in the branch handling Shutdown's error.
func stopOrDie(srv *server) {
	if err := srv.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// Look-alike: defers that do not matter at exit; a defer in a branch that already returned.
func cleanExit(mu *sync.Mutex, wg *sync.WaitGroup, verbose bool) {
	mu.Lock()
	defer mu.Unlock()
	defer wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	if verbose {
		defer os.Remove("x")
		return
	}
	f, _ := os.Open("x")
	defer f.Close()
	os.Exit(2)
}

// Positive: a deferred function literal, and a Logger's Fatal.
func withLogger(l *log.Logger, out *bufio.Writer) {
	defer func() { out.Flush() }()
	l.Fatalln("boom") // want `\(\*log.Logger\).Fatalln skips the deferred func literal \(line 74\)`
}

// Positive: a project's own fatal helper, known never to return.
func fatal(msg string) {
	log.Print(msg)
	os.Exit(1)
}

func useHelper(dir string) {
	defer os.RemoveAll(dir)
	fatal("x") // want `main.fatal skips the deferred os.RemoveAll\(\)`
}

// Look-alike: defers inside a function literal are that literal's own.
func literal() {
	func() {
		defer os.Remove("x")
	}()
	os.Exit(1)
}

// Look-alikes: cleanup whose skipping changes nothing: a Close that only closes a database
// handle, a literal that closes one and logs, a recover.
type store struct{ db *sql.DB }

func (s *store) Close() error { // want Close:"harmless at exit"
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

func harmlessDefers(st *store, db *sql.DB) {
	defer st.Close()
	defer func() {
		if err := db.Close(); err != nil {
			log.Println(err)
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			log.Printf("panic: %v", r)
		}
	}()
	log.Fatal("no config")
}

// Positive: helpers that can exit, called after Shutdown, one and two calls down, and in
// another package.
func mustFlush(out *bufio.Writer) {
	if err := out.Flush(); err != nil {
		log.Fatal(err)
	}
}

func finish(out *bufio.Writer) { mustFlush(out) }

func stopThenHelpers(srv *server, out *bufio.Writer) {
	_ = srv.Shutdown(context.Background())
	mustFlush(out)            // want `mustFlush can end the process \(log.Fatal at main.go:127\) after srv.Shutdown\(\) \(line 134\), abandoning goroutines and skipping the cleanup that follows shutdown: return an error to main instead`
	finish(out)               // want `finish can end the process \(log.Fatal at main.go:127\)`
	_ = exitlib.MustLoad("x") // want `MustLoad can end the process \(os.Exit at lib.go:14\)`
}

// Look-alike: the helper runs before Shutdown, or in the branch handling its error.
func helpersBefore(srv *server, out *bufio.Writer) {
	mustFlush(out)
	if err := srv.Shutdown(context.Background()); err != nil {
		finish(out)
	}
}

// Look-alike: a deferred Close, in another package, that only closes a database.
func openArchive(arc *warc.Archive) {
	defer arc.Close()
	log.Fatal("no port")
}
