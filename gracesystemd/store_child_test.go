package gracesystemd_test

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/gracekit/grace/gracesystemd"
)

// fdstoreChild is the service of TestFDStoreTakesBackByName: it answers one request on web with
// what its FDStore did, then exits.
func fdstoreChild() int {
	var s gracesystemd.FDStore
	web, err := s.Listen("tcp", os.Getenv("FDSTORE_TEST_WEB"), "web")
	if err != nil {
		fmt.Println("listen web:", err)
		return 3
	}
	_, err = s.Listen("tcp", "127.0.0.1:0", "web")
	again := errors.Is(err, gracesystemd.ErrNameInUse)
	moved, err := s.Listen("tcp", os.Getenv("FDSTORE_TEST_MOVED"), "moved")
	if err != nil {
		fmt.Println("listen moved:", err)
		return 3
	}
	defer moved.Close()
	pruned, err := s.Prune()
	if err != nil {
		fmt.Println("prune:", err)
		return 3
	}
	var env []string
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	msg := fmt.Sprintf("pid=%d web=%s moved=%s again=%v pruned=%v env=%v", os.Getpid(), web.Addr(), moved.Addr(), again, pruned, env)
	c, err := web.Accept()
	if err != nil {
		fmt.Println("accept:", err)
		return 3
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitFor))
	if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
		fmt.Println("read request:", err)
		return 3
	}
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(msg), msg)
	return 0
}
