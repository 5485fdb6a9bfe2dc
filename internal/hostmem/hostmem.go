// Package hostmem is the memory this process may still allocate on the
// host, for the commands that size their work before they start (training's
// parameters, sampling's PNG, the evaluation's batches), and how to print
// a number of bytes.
package hostmem

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Available is the memory this process may still allocate on the host, and
// where the figure comes from; ok is false when unknown. A variable so that
// tests can set it (and restore it).
var Available = hostAvailable

// hostAvailable is MemAvailable of /proc/meminfo, or the room left under
// this process's cgroup v2 memory limit when that is less.
func hostAvailable() (int64, string, bool) {
	have, from, ok := int64(0), "", false
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, found := strings.CutPrefix(sc.Text(), "MemAvailable:"); found {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err == nil {
					have, from, ok = kb<<10, "MemAvailable in /proc/meminfo", true
				}
			}
		}
		f.Close()
	}
	read := func(p string) (int64, bool) {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, false
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return v, err == nil
	}
	if limit, okL := read("/sys/fs/cgroup/memory.max"); okL { // "max" (no limit) does not parse
		if used, okU := read("/sys/fs/cgroup/memory.current"); okU && (!ok || limit-used < have) {
			have, from, ok = max(limit-used, 0), "the cgroup memory limit", true
		}
	}
	return have, from, ok
}

// Bytes prints b as GiB, MiB or KiB.
func Bytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}
