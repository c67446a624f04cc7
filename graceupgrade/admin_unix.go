//go:build unix

package graceupgrade

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"
)

func (u *Upgrader) startAdmin() error {
	ln, err := u.Listen(AdminListener, "tcp", u.cfg.adminAddr)
	if err != nil {
		return fmt.Errorf("admin endpoint: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(AdminPath, u.serveAdmin)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	u.mu.Lock()
	u.admin = srv
	u.mu.Unlock()
	u.wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			u.log.Error("graceupgrade: admin endpoint stopped", "error", err)
		}
	})
	return nil
}

func (u *Upgrader) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if tok := u.cfg.adminToken; tok != "" {
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+tok)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	// The upgrade must not end with the request: a client that gives up does not stop it.
	pid, err := u.Upgrade(context.WithoutCancel(r.Context()))
	switch {
	case err == nil:
		fmt.Fprintf(w, "successor %d ready\n", pid)
	case errors.Is(err, ErrInProgress), errors.Is(err, ErrNotServing):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusBadGateway)
	}
}
