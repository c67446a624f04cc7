package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gracekit/grace/examples/orders/internal/metrics"
	"github.com/gracekit/grace/gracehttp"
)

// TempPrefix starts the name of an upload still being written. Such files never outlive their
// request; [SweepTemp] removes any a crash left behind.
const TempPrefix = ".upload-"

// AttachmentsDir is where the attachments of an order are stored, under the data directory.
func AttachmentsDir(dataDir, orderID string) string {
	return filepath.Join(dataDir, "attachments", orderID)
}

// uploadAttachment streams the body to a temporary file next to its final place with
// gracehttp.CopyContext over gracehttp.Body, so a cancelled request stops copying at once, even
// from a client that sends nothing more. Only a complete body is kept:
// the file is synced, linked to its final name (never replacing an existing attachment) and
// recorded in the database. On any failure or cancellation the temporary file is removed, so no
// partial file is ever left behind.
func (a *API) uploadAttachment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !validID(id) {
		writeError(w, http.StatusNotFound, "order not found")
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "attachment"
	}
	if err := checkName(name); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ok, err := a.cfg.Store.Exists(ctx, id)
	if err != nil {
		writeError(w, statusFor(ctx, err), "order not read")
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, "order not found")
		return
	}
	dir := AttachmentsDir(a.cfg.DataDir, id)
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); err == nil {
		writeError(w, http.StatusConflict, "attachment exists")
		return
	}
	n, status, err := a.store(ctx, w, r, dir, final)
	if err != nil {
		a.cfg.Metrics.Inc(metrics.UploadsFailed)
		a.cfg.Log.Warn("upload rejected", "order", id, "name", name, "bytes", n, "error", err)
		writeError(w, status, "upload not stored: "+err.Error())
		return
	}
	if err := a.cfg.Store.AddAttachment(ctx, id, name, n); err != nil {
		_ = os.Remove(final) // not recorded: not kept
		a.cfg.Metrics.Inc(metrics.UploadsFailed)
		writeError(w, statusFor(ctx, err), "upload not recorded")
		return
	}
	a.cfg.Metrics.Inc(metrics.UploadsCompleted)
	a.cfg.Metrics.Add(metrics.UploadBytes, n)
	writeJSON(w, http.StatusCreated, map[string]any{"name": name, "size": n})
}

// store writes the body to final through a temporary file; on error nothing is left.
func (a *API) store(ctx context.Context, w http.ResponseWriter, r *http.Request, dir, final string) (n int64, status int, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, http.StatusInternalServerError, errors.New("cannot create directory")
	}
	f, err := os.CreateTemp(dir, TempPrefix+"*")
	if err != nil {
		return 0, http.StatusInternalServerError, errors.New("cannot create file")
	}
	tmp := f.Name()
	kept := false
	defer func() {
		if !kept {
			f.Close()
			os.Remove(tmp)
		}
	}()
	body := &limitReader{r: gracehttp.Body(w, r), left: a.cfg.MaxUpload}
	n, err = gracehttp.CopyContext(ctx, f, body)
	if err != nil {
		switch {
		case errors.Is(err, errTooLarge):
			return n, http.StatusRequestEntityTooLarge, fmt.Errorf("larger than %d bytes", a.cfg.MaxUpload)
		case ctx.Err() != nil:
			return n, http.StatusServiceUnavailable, errors.New("cancelled")
		default:
			return n, http.StatusBadRequest, errors.New("body not read whole")
		}
	}
	if err := f.Sync(); err != nil {
		return n, http.StatusInternalServerError, errors.New("cannot sync file")
	}
	if err := f.Close(); err != nil {
		return n, http.StatusInternalServerError, errors.New("cannot close file")
	}
	// Link, not rename: it never replaces a file that appeared meanwhile.
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return n, http.StatusConflict, errors.New("attachment exists")
		}
		return n, http.StatusInternalServerError, errors.New("cannot store file")
	}
	kept = true
	os.Remove(tmp)
	syncDir(dir)
	return n, 0, nil
}

func checkName(name string) error {
	if len(name) > 100 || strings.HasPrefix(name, ".") {
		return errors.New("name must be 1 to 100 characters and not start with '.'")
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return errors.New("name may hold only letters, digits, '.', '-' and '_'")
		}
	}
	return nil
}

// syncDir makes a new directory entry durable (a no-op where directories cannot be synced).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// SweepTemp removes temporary upload files under dataDir older than age (left by a crash), and
// returns how many it removed.
func SweepTemp(dataDir string, age time.Duration) int {
	n := 0
	root := filepath.Join(dataDir, "attachments")
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), TempPrefix) {
			return nil
		}
		if info, err := d.Info(); err == nil && time.Since(info.ModTime()) >= age {
			if os.Remove(path) == nil {
				n++
			}
		}
		return nil
	})
	return n
}
