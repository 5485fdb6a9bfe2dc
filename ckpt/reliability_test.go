package ckpt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Header dimensions are checked before shapes.Make (which panics on a
// negative one) and without overflow ([2^62, 4] float32 is 0 bytes mod 2^64).
func TestHeaderDimsChecked(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ hdr, want string }{
		"negative": {`{"vars":[{"path":"/net/w","dtype":"Float32","dims":[-1,4],"offset":0,"bytes":0}]}`, "negative dimension"},
		"overflow": {`{"vars":[{"path":"/net/w","dtype":"Float32","dims":[4611686018427387904,4],"offset":0,"bytes":0}]}`, "need more bytes"},
		"rank":     {`{"vars":[{"path":"/net/w","dtype":"Float32","dims":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"offset":0,"bytes":4}]}`, "rank 17"},
		"range":    {`{"vars":[{"path":"/net/w","dtype":"Float32","dims":[1],"offset":9223372036854775807,"bytes":4}]}`, "outside"},
	} {
		p := filepath.Join(dir, name+".ddpm")
		if err := os.WriteFile(p, file(c.hdr, []byte{0, 0, 0, 0}), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(testStore(), p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming the file and %q", name, err, c.want)
		}
	}
}

func TestLockRefusesASecondOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	id := map[string]any{"seed": 1}
	r, err := OpenRun(dir, id, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRun(dir, id, 2); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "in use by process") {
		t.Fatalf("second open: %v, want ErrLocked naming the process", err)
	}
	r.Close()
	r2, err := OpenRun(dir, id, 2)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	r2.Close()
}

func TestOpenRunRemovesTempsAndRefusesOtherFolders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := OpenRun(dir, map[string]any{"seed": 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	tmp := filepath.Join(dir, ".ckpt-000000010.ddpm.tmp-12345")
	os.WriteFile(tmp, []byte("half"), 0o644)
	r, err = OpenRun(dir, map[string]any{"seed": 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) || len(r.Removed) != 1 {
		t.Errorf("temporary file not removed (Removed %v)", r.Removed)
	}

	// A folder with someone's weights.ddpm and no run.json is not a run
	// folder: refused, and nothing is created or changed in it.
	other := t.TempDir()
	w := filepath.Join(other, "weights.ddpm")
	os.WriteFile(w, []byte("precious"), 0o644)
	if _, err := OpenRun(other, map[string]any{"seed": 1}, 2); err == nil || !strings.Contains(err.Error(), "no run.json") {
		t.Fatalf("foreign folder: %v", err)
	}
	entries, _ := os.ReadDir(other)
	if b, _ := os.ReadFile(w); string(b) != "precious" || len(entries) != 1 {
		t.Errorf("foreign folder touched: %d entries", len(entries))
	}
}

// A run folder that cannot be written fails when it is opened, not at the
// first checkpoint. (Root writes into read-only folders, so the lock file is
// made a folder instead.)
func TestOpenRunFailsEarlyWhenNotWritable(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, LockName), 0o755)
	os.WriteFile(filepath.Join(dir, "run.json"), []byte(`{"seed":1}`), 0o644)
	if _, err := OpenRun(dir, map[string]any{"seed": 1}, 2); err == nil || !strings.Contains(err.Error(), "cannot lock run folder") {
		t.Errorf("got %v", err)
	}
}

func TestRestoreSkipsCorruptNewest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := OpenRun(dir, map[string]any{"seed": 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, s := range []int64{10, 20} {
		if err := r.Save(testStore(), s, map[string]any{"step": s}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(r.Path(20))
	b[len(b)-1] ^= 0xff // flip the last data byte: checksum mismatch
	os.WriteFile(r.Path(20), b, 0o644)
	st, step, _, skipped, found, err := r.Restore(nil)
	if err != nil || !found || step != 10 || st == nil {
		t.Fatalf("restore: step %d found %v err %v", step, found, err)
	}
	if len(skipped) != 1 || skipped[0].Path != r.Path(20) || !strings.Contains(skipped[0].Err.Error(), "checksum") {
		t.Errorf("skipped %v", skipped)
	}
}
