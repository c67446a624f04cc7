package a

import (
	"errors"
	"log"
	"net"
	"net/http"
	"os"
)

// Positive: the error is fatal with no ErrServerClosed check.
func run(srv *http.Server) {
	go func() {
		if err := srv.ListenAndServe(); err != nil { // want `the error of \(\*http.Server\).ListenAndServe is treated as fatal, but it is http.ErrServerClosed as soon as Shutdown starts, ending the process mid-drain: test err != nil && !errors.Is\(err, http.ErrServerClosed\)`
			log.Fatalf("serve: %v", err)
		}
	}()
}

// Positive: passed straight to a fatal call.
func runTLS(srv *http.Server, ln net.Listener) {
	go log.Fatal(srv.ServeTLS(ln, "cert.pem", "key.pem")) // want `log.Fatal treats the error of \(\*http.Server\).ServeTLS as fatal`
	go func() {
		panic(srv.Serve(ln)) // want `panic treats the error of \(\*http.Server\).Serve as fatal`
	}()
}

// Positive: assigned first, then fatal.
func assigned(srv *http.Server) {
	err := srv.ListenAndServe() // want `the error of \(\*http.Server\).ListenAndServe is treated as fatal`
	if err != nil {
		os.Exit(1)
	}
}

// Positive: comparisons without errors.Is of an error that may be wrapped (fixed, since errors
// is imported).
func compared(srv *http.Server, serve func() error) {
	if err := serve(); err != nil && err != http.ErrServerClosed { // want `comparison with http.ErrServerClosed misses a wrapped error: use !errors.Is\(err, http.ErrServerClosed\)`
		log.Fatal(err)
	}
	err := srv.ListenAndServe()
	err = serve()
	if http.ErrServerClosed == err { // want `use errors.Is\(err, http.ErrServerClosed\)`
		return
	}
}

// Look-alike: straight from the serve call, the error is the sentinel itself: == works.
func direct(srv *http.Server) {
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// Positive: a type embedding *http.Server.
type apiServer struct{ *http.Server }

func embedded(s apiServer) {
	log.Fatal(s.ListenAndServe()) // want `log.Fatal treats the error of \(\*http.Server\).ListenAndServe as fatal`
}

// Look-alike: the right check.
func good(srv *http.Server) {
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
}

// Look-alike: not fatal, only logged or handed back.
func logged(srv *http.Server) error {
	if err := srv.ListenAndServe(); err != nil {
		log.Printf("serve: %v", err)
	}
	return srv.ListenAndServe()
}

// Look-alike: package-level ListenAndServe has no Shutdown, so no ErrServerClosed.
func pkgLevel() {
	log.Fatal(http.ListenAndServe("127.0.0.1:0", nil))
}

// Look-alike: another error compared with ==.
var errOther = errors.New("other")

func otherErr(err error) bool { return err == errOther }

// Look-alike: a type with its own ListenAndServe.
type custom struct{}

func (custom) ListenAndServe() error { return nil }

func customServer(c custom) {
	log.Fatal(c.ListenAndServe())
}
