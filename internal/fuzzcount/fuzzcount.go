// Package fuzzcount counts the executions of a fuzz target. go test -fuzz
// reports executions only when a worker hands back new coverage, so its
// figure lags far behind (it showed 255 where the workers had run 250,000);
// make fuzz sets DDPM_FUZZ_COUNT_DIR and sums the files written here. It
// also holds what every package's fuzz targets share: their seed files and
// the one-line rule for errors.
package fuzzcount

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

var (
	dir = os.Getenv("DDPM_FUZZ_COUNT_DIR")
	n   atomic.Int64
)

// Exec counts one execution of target; every 100th is written to
// $DDPM_FUZZ_COUNT_DIR/target-<pid> (a worker is killed at the end, so the
// last partial hundred is not counted).
func Exec(target string) {
	if dir == "" {
		return
	}
	if k := n.Add(1); k%100 == 0 {
		// Best effort: a lost count only under-reports executions to scripts/fuzz.sh.
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d", target, os.Getpid())), []byte(fmt.Sprint(k)), 0o644)
	}
}

// Seed is the file testdata/name of the calling package, a fuzz target's
// seed; a missing file fails f.
func Seed(f *testing.F, name string) []byte {
	f.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// OneLine fails t when err spans more than one line (every error of ddpm-go
// is one line).
func OneLine(t testing.TB, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("multi-line error: %q", err)
	}
}
