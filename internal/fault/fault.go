// Package fault lets tests stop a process at a named point, as kill -9 or a
// power cut would: the fault-injection test of package run uses it to
// hit the windows between two writes deterministically.
//
// The environment variable DDPM_FAULT="name@n" makes the n-th call (1-based)
// of Point(name) in this process send SIGKILL to the process itself. Unset
// (always, outside tests), Point costs one comparison.
package fault

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var (
	once   sync.Once
	target string
	nth    int
	mu     sync.Mutex
	seen   int
)

func parse() {
	spec := os.Getenv("DDPM_FAULT")
	name, n, ok := strings.Cut(spec, "@")
	if !ok {
		return
	}
	k, err := strconv.Atoi(n)
	if err != nil || k < 1 {
		return
	}
	target, nth = name, k
}

// Point marks a named point; see the package documentation.
func Point(name string) {
	once.Do(parse)
	if target == "" || name != target {
		return
	}
	mu.Lock()
	seen++
	hit := seen == nth
	mu.Unlock()
	if hit {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL is asynchronous: never return
	}
}
