package main

import (
	"net"
	"os"
	"strings"
	"time"
)

// notifyMsg is one datagram the service sent to NOTIFY_SOCKET.
type notifyMsg struct {
	at time.Time
	kv map[string]string
}

func readNotify(pc *net.UnixConn, out chan<- notifyMsg) {
	buf := make([]byte, 4096)
	for {
		n, err := pc.Read(buf)
		if err != nil {
			return
		}
		m := notifyMsg{at: time.Now(), kv: map[string]string{}}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				m.kv[k] = v
			}
		}
		select {
		case out <- m:
		default: // nobody reads that fast: the drill only needs the latest
		}
	}
}

// orphanGrace is how long, after the serving process exited, the drill still waits for a
// successor's MAINPID= and READY=1 (sent from a successor that outlived its parent).
const orphanGrace = 2 * time.Second

// watchPIDFile reports each new PID the file names, as if the service had sent MAINPID= and
// READY=1, every 2 ms until stop is closed.
func watchPIDFile(path string, out chan<- notifyMsg, stop <-chan struct{}) {
	last := ""
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		b, err := os.ReadFile(path)
		pid := strings.TrimSpace(string(b))
		if err != nil || pid == last || pid == "" {
			continue
		}
		last = pid
		select {
		case out <- notifyMsg{at: time.Now(), kv: map[string]string{"MAINPID": pid, "READY": "1", "FROM": "pid-file"}}:
		default:
		}
	}
}
