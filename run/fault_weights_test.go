package run

import (
	"os"
	"path/filepath"
	"testing"
)

// Issue 27, part 6: kill -9 half-way through the final weights write (the
// last atomic write of a run, after its last checkpoint). The folder keeps
// no torn weights.ddpm, only a temporary file, and the same command
// finishes the run without training: its weights, last checkpoint and loss
// log then equal a straight run's, bit for bit, with no temporary file left.
func TestKillDuringFinalWeightsWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns training processes")
	}
	root := t.TempDir()
	straight := filepath.Join(root, "straight")
	if err := child(t, straight, "").Wait(); err != nil {
		t.Fatalf("straight run: %v", err)
	}
	dir := filepath.Join(root, "killed")
	if err := child(t, dir, "atomicfile-mid-write:weights.ddpm@1").Wait(); !killed(err) {
		t.Fatalf("the child was not killed during the weights write (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "weights.ddpm")); err == nil {
		t.Fatal("a weights.ddpm exists after a kill during its first write")
	}
	temps, _ := filepath.Glob(filepath.Join(dir, ".weights.ddpm.tmp-*"))
	if len(temps) != 1 {
		t.Errorf("temporary files of the killed write: %v, want one", temps)
	}
	resumeAndCompare(t, straight, dir)
}
