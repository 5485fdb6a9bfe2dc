package run

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/gomlx/ml/model"
)

// Issue 27, part 5: a run folder whose run.json is torn (its first 100
// bytes) while its checkpoints are intact used to be refused with "delete
// the folder to start over, or choose another" — the only advice offered
// destroyed the run's work. Every checkpoint now records the configuration:
// the same command rebuilds run.json from the newest one and resumes; a
// different one is refused naming the fields that differ and the way on.
func TestTornRunJSONIsRebuilt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := train(t, tinyCfg, Options{Steps: 6, Dir: dir, CheckpointEvery: 3}); err != nil {
		t.Fatal(err)
	}
	idPath := filepath.Join(dir, "run.json")
	whole := read(t, idPath)
	tear := func() {
		t.Helper()
		if err := os.WriteFile(idPath, whole[:100], 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Another configuration: refused, naming the field and the way on, and
	// nothing changes (run.json stays torn).
	tear()
	other := tinyCfg
	other.Seed = 6
	before := snapshot(t, dir)
	for _, call := range []func() error{
		func() error { return Preflight(backendpkg.Must(), other, Options{Steps: 9, Dir: dir}) },
		func() error { _, err := train(t, other, Options{Steps: 9, Dir: dir}); return err },
	} {
		err := call()
		if err == nil || !strings.Contains(err.Error(), "is torn") || !strings.Contains(err.Error(), "seed") ||
			!strings.Contains(err.Error(), "ckpt-000000006.ddpm") || !strings.Contains(err.Error(), "run the command that started the run") {
			t.Errorf("another configuration on a torn run.json: %v", err)
		}
	}
	sameSnapshot(t, "refused", before, snapshot(t, dir))

	// The same configuration: run.json rebuilt, the run resumed at step 6.
	if err := Preflight(backendpkg.Must(), tinyCfg, Options{Steps: 9, Dir: dir}); err != nil {
		t.Fatalf("preflight of the same command: %v", err)
	}
	var log bytes.Buffer
	res, err := train(t, tinyCfg, Options{Steps: 9, Dir: dir, Log: &log})
	if err != nil {
		t.Fatalf("the same command on a torn run.json: %v", err)
	}
	if res.StartStep != 6 || res.Step != 9 {
		t.Errorf("resumed from %d to %d, want 6 to 9", res.StartStep, res.Step)
	}
	if !strings.Contains(log.String(), "run.json was torn: rebuilt from the configuration recorded in "+filepath.Join(dir, "ckpt-000000006.ddpm")) {
		t.Errorf("log %q does not say run.json was rebuilt", log.String())
	}
	if got := read(t, idPath); !bytes.Equal(got, whole) {
		t.Errorf("rebuilt run.json differs:\n%s\nwant\n%s", got, whole)
	}

	// Checkpoints of an earlier version (no configuration in them): the
	// weights record it; with neither, the refusal says how to go on
	// without deleting anything.
	tear()
	r := &ckpt.Run{Dir: dir}
	steps, _ := r.Steps()
	for _, s := range steps {
		stripConfig(t, r.Path(s))
	}
	if err := Preflight(backendpkg.Must(), tinyCfg, Options{Steps: 12, Dir: dir}); err != nil {
		t.Errorf("torn run.json, configuration in weights.ddpm only: %v", err)
	}
	os.Remove(filepath.Join(dir, weightsName))
	err = Preflight(backendpkg.Must(), tinyCfg, Options{Steps: 12, Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "restore run.json from a copy") || strings.Contains(err.Error(), "delete the folder") {
		t.Errorf("torn run.json, no record of the configuration: %v", err)
	}
}

// stripConfig rewrites the checkpoint at path without the configuration in
// its metadata, as an earlier version wrote it.
func stripConfig(t *testing.T, path string) {
	t.Helper()
	st := model.NewStore()
	raw, err := ckpt.Load(st, path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m["config"] == nil {
		t.Fatalf("%s: metadata %v without a configuration", path, err)
	}
	delete(m, "config")
	tmp := filepath.Join(t.TempDir(), "c.ddpm") // ckpt writes no run's file: written beside, then moved
	if err := ckpt.Save(st, tmp, m); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// Issue 27, part 1: a weight file that is not one says what it is — the
// MNIST classifier's ("eval -weights classifier/mnist_classifier.ddpm" said
// "a training checkpoint? use weights.ddpm") or a run's checkpoint.
func TestNotWeightsSaysWhatItIs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := train(t, tinyCfg, Options{Steps: 2, Dir: dir, CheckpointEvery: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join("..", "classifier", classifier.WeightsFile), "is the MNIST classifier's weight file (eval.Config.Classifier reads it)"},
		{(&ckpt.Run{Dir: dir}).Path(2), "is a training checkpoint (step 2), not a ddpm-go weight file: use the weights.ddpm in its run folder"},
	} {
		_, err := trained.Load(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("LoadWeights(%s) = %v, want %q", c.path, err, c.want)
		}
	}
}

// Issue 27, part 1: -init of /dev/zero or of a FIFO is refused at once (it
// was hashed, then read, without end; SIGTERM was ignored meanwhile), as is
// a 20 GB file that is no weight file (it was hashed before it was looked at).
func TestInitCheckedBeforeRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.ddpm")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse.ddpm")
	os.WriteFile(sparse, nil, 0o644)
	if err := os.Truncate(sparse, 20<<30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	for _, c := range []struct{ init, want string }{
		{"/dev/zero", "Options.InitFrom /dev/zero is a character device, not a regular file"},
		{fifo, "Options.InitFrom " + fifo + " is a FIFO (named pipe), not a regular file"},
		{sparse, "Options.InitFrom " + sparse + ": not a ddpm checkpoint (bad magic bytes)"},
	} {
		done := make(chan error, 1)
		go func() {
			done <- Preflight(backendpkg.Must(), tinyCfg, Options{Steps: 5, Dir: filepath.Join(dir, "run"), InitFrom: c.init})
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("-init %s: %v, want %q", c.init, err, c.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("-init %s: blocked", c.init)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "run")); err == nil {
		t.Error("a refused -init left a run folder")
	}
}
