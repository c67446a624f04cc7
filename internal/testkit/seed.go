package testkit

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// SeedEnv names the variable that replays a randomized test: GRACE_TEST_SEED=N go test -run ...
const SeedEnv = "GRACE_TEST_SEED"

// Seed returns the seed of a randomized test — GRACE_TEST_SEED if set, else a new one — and
// prints it, with how to replay it, if the test fails.
func Seed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(SeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: not a seed: %v", SeedEnv, s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d; replay with %s=%d go test -race -run '^%s$'", seed, SeedEnv, seed, t.Name())
		}
	})
	return seed
}
