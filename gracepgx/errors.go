package gracepgx

import "errors"

// ErrStillClosing is returned by a stop that reached its hard deadline with no connection left
// to force closed but pgxpool's Close not returned yet. It finishes on its own.
var ErrStillClosing = errors.New("close pool: still closing at the hard deadline")
