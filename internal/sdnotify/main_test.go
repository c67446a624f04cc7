package sdnotify_test

import (
	"testing"

	"github.com/gracekit/grace/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
