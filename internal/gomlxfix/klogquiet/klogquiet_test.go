package klogquiet

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Canary: go-xla still logs the line at start-up when HOME is unset. When
// an upgrade drops it, this fails: remove the package (and its import in
// package ddpm).
func TestGoXLAStillLogsIt(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/gomlx/go-xla").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pjrt", "dynamiclib_posix.go"))
	if err != nil {
		t.Fatalf("go-xla's pjrt/dynamiclib_posix.go: %v: has the plugin search moved? check whether HOME unset still logs a line, and drop or update klogquiet", err)
	}
	if !strings.Contains(string(src), Dropped) {
		t.Errorf("go-xla no longer logs %q: remove package klogquiet and its import in package ddpm", Dropped)
	}
}
