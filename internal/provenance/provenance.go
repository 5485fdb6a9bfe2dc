// Package provenance says where a result comes from: the machine and the
// code, for the provenance of weight files (package trained), the
// classifier's metadata and the benchmark's results.
package provenance

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
)

// Hardware describes this machine: CPU model and core count (and the GPU
// when one is visible to nvidia-smi).
func Hardware() string {
	model := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	hw := fmt.Sprintf("%s, %d cores", model, runtime.NumCPU())
	if out, err := exec.Command("nvidia-smi", "--query-gpu=name", "--format=csv,noheader").Output(); err == nil {
		if g := strings.TrimSpace(string(out)); g != "" {
			hw += ", GPU " + strings.ReplaceAll(g, "\n", " + ")
		}
	}
	return hw
}

// Commit names the code that runs: the binary's own VCS stamp (with
// "-modified" when it was built from a changed tree), else, for go run and
// go test which stamp none, the HEAD of the current folder's repository. The
// stamp comes first because a binary carried to another machine runs in a
// copy of the repository whose HEAD need not be the one it was built from.
func Commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, modified := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" && modified {
			return rev + "-modified"
		}
		if rev != "" {
			return rev
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return ""
}
