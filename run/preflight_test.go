package run

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/internal/hostmem"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
)

// snapshot is every file of dir (not the lock's content, which names the
// last process) with its bytes, for "nothing changed" checks.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if e.Name() == ".lock" {
			b = nil
		}
		out[e.Name()] = string(b)
	}
	return out
}

func sameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	var diff []string
	for k, v := range before {
		if w, ok := after[k]; !ok || w != v {
			diff = append(diff, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			diff = append(diff, "+"+k)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("%s: the folder changed: %v", what, diff)
	}
}

// Every check runs before the run folder is created: a refused run leaves
// no folder (it left run.json and .lock, and the corrected command was then
// refused there as "a different run").
func TestPreflightLeavesNoFolder(t *testing.T) {
	backend := backendpkg.Must()
	saved := hostmem.Available
	defer func() { hostmem.Available = saved }()
	hostmem.Available = func() (int64, string, bool) { return 24 << 30, "a test's 24 GiB", true }
	big := recipe.Config{Data: recipe.MNIST, Network: nets.UNetConfig{Base: 4096}}
	n := int64(must(big.WithDefaults()).NumParameters())
	wide := tinyCfg
	wide.Network = nets.MLPConfig{Hidden: 64, Layers: 1} // tiny-weights.ddpm has 4
	cases := []struct {
		name string
		cfg  recipe.Config
		opt  Options
		want []string
	}{
		{"devices 1000", tinyCfg, Options{Steps: 5, Devices: 1000}, []string{"1000 devices", "has " + itoa(backend.NumDevices())}},
		{"-base 4096", big, Options{Steps: 5}, []string{"billion parameters", hostmem.Bytes(MemoryEstimate(must(big.WithDefaults()))), "24.0 GiB", "a test's 24 GiB", "smaller network"}},
		{"-init of another shape", wide, Options{Steps: 5, InitFrom: "../trained/testdata/tiny-weights.ddpm"}, []string{"Options.InitFrom ../trained/testdata/tiny-weights.ddpm", "network differs"}},
		{"-init missing", tinyCfg, Options{Steps: 5, InitFrom: "testdata/none.ddpm"}, []string{"Options.InitFrom testdata/none.ddpm"}},
		{"negative -max-time", tinyCfg, Options{Steps: 5, MaxWall: -time.Second}, []string{"Options.MaxWall = -1s"}},
		{"negative -devices", tinyCfg, Options{Steps: 5, Devices: -1}, []string{"Options.Devices = -1"}},
		{"bad config", recipe.Config{Data: "nope"}, Options{Steps: 5}, []string{"unknown data"}},
		{"no steps", tinyCfg, Options{}, []string{"steps ≥ 1"}},
	}
	if backend.NumDevices() >= 3 {
		b := tinyCfg
		b.Batch = 1024
		cases = append(cases, struct {
			name string
			cfg  recipe.Config
			opt  Options
			want []string
		}{"devices 3, batch 1024", b, Options{Steps: 5, Devices: 3}, []string{"batch 1024 does not split over 3 devices"}})
	}
	if e := MemoryEstimate(must(big.WithDefaults())); e != n*5*4 || n < 12e9 {
		t.Errorf("-base 4096: %d parameters, estimate %d bytes", n, e)
	}
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "run")
		c.opt.Dir = dir
		err := Preflight(backend, c.cfg, c.opt)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Preflight: %v, want a one-line error", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", c.name, err, w)
			}
		}
		if _, terr := Train(backend, c.cfg, c.opt); terr == nil || terr.Error() != err.Error() {
			t.Errorf("%s: Train: %v, want Preflight's error", c.name, terr)
		}
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("%s: refused, but %s was created", c.name, dir)
		}
	}
	t.Logf("%d refusals on %s (%d devices), none left a folder", len(cases), backendpkg.Describe(backend), backend.NumDevices())
	// Where the run's files would go cannot be written: refused before the folder.
	parent := t.TempDir()
	os.WriteFile(filepath.Join(parent, "file"), nil, 0o644)
	if err := Preflight(backend, tinyCfg, Options{Steps: 5, Dir: filepath.Join(parent, "file", "run")}); err == nil {
		t.Error("a run folder under a file was accepted")
	}
	fifoRun := t.TempDir()
	os.WriteFile(filepath.Join(fifoRun, "run.json"), append(must(jsonIndent(must(tinyCfg.WithDefaults()))), '\n'), 0o644)
	syscall.Mkfifo(filepath.Join(fifoRun, "loss.csv"), 0o644)
	if err := Preflight(backend, tinyCfg, Options{Steps: 5, Dir: fifoRun}); err == nil || !strings.Contains(err.Error(), "FIFO") {
		t.Errorf("a FIFO as the loss log: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The run-folder cases of issue 18: outputs without checkpoints, nothing to
// do, a run stopped by a 1 ns time limit, and -init on a folder that resumes.
func TestRunFolderNeverLosesWhatItHolds(t *testing.T) {
	backend := backendpkg.Must()
	root := t.TempDir()
	dir := filepath.Join(root, "done")
	if _, err := Train(backend, tinyCfg, Options{Steps: 20, Dir: dir, CheckpointEvery: 10, Command: "first"}); err != nil {
		t.Fatal(err)
	}

	// Nothing to do: the same or a smaller -steps touches nothing.
	before := snapshot(t, dir)
	for _, steps := range []int64{20, 5} {
		_, err := Train(backend, tinyCfg, Options{Steps: steps, Dir: dir, Command: "again"})
		var done *AlreadyDone
		if !errors.As(err, &done) || done.Step != 20 || !strings.Contains(err.Error(), "nothing to do") {
			t.Errorf("-steps %d on a run at step 20: %v, want AlreadyDone", steps, err)
		}
		if err := Preflight(backend, tinyCfg, Options{Steps: steps, Dir: dir}); !errors.As(err, &done) {
			t.Errorf("Preflight, -steps %d on a run at step 20: %v", steps, err)
		}
	}
	sameSnapshot(t, "nothing to do", before, snapshot(t, dir))

	// The weights missing after the last checkpoint (a kill between them):
	// written from the checkpoint, nothing trained.
	w := filepath.Join(dir, "weights.ddpm")
	want := must(trained.Load(w))
	os.Remove(w)
	res, err := Train(backend, tinyCfg, Options{Steps: 20, Dir: dir})
	if err != nil || res.StartStep != 20 || res.Step != 20 {
		t.Fatalf("weights missing: %+v, %v", res, err)
	}
	sameTensors(t, want.Path, w)

	// Checkpoints gone, outputs there: refused, naming them and the way on.
	gone := filepath.Join(root, "gone")
	if _, err := Train(backend, tinyCfg, Options{Steps: 10, Dir: gone}); err != nil {
		t.Fatal(err)
	}
	ckpts, _ := filepath.Glob(filepath.Join(gone, "ckpt-*.ddpm"))
	for _, c := range ckpts {
		os.Remove(c)
	}
	before = snapshot(t, gone)
	_, err = Train(backend, tinyCfg, Options{Steps: 10, Dir: gone})
	if err == nil || !strings.Contains(err.Error(), "weights.ddpm") || !strings.Contains(err.Error(), "loss.csv") ||
		!strings.Contains(err.Error(), "no checkpoint") || !strings.Contains(err.Error(), "Options.InitFrom "+filepath.Join(gone, "weights.ddpm")) {
		t.Errorf("outputs without checkpoints: %v", err)
	}
	sameSnapshot(t, "outputs without checkpoints", before, snapshot(t, gone))

	// -max-time 1ns trains one step and leaves a folder that resumes.
	quick := filepath.Join(root, "quick")
	res, err = Train(backend, tinyCfg, Options{Steps: 10, Dir: quick, MaxWall: time.Nanosecond})
	if err != nil || res.Step != 1 {
		t.Fatalf("-max-time 1ns: %+v, %v", res, err)
	}
	var log bytes.Buffer
	res, err = Train(backend, tinyCfg, Options{Steps: 10, Dir: quick, Log: &log})
	if err != nil || res.StartStep != 1 || strings.Contains(log.String(), "skipped") {
		t.Errorf("resume after -max-time 1ns: start %d, %v, log %q", res.StartStep, err, log.String())
	}

	// -init on a folder that resumes is refused unless it is the file the
	// run started from (the same command resumes).
	resuming := filepath.Join(root, "resuming")
	if _, err := Train(backend, tinyCfg, Options{Steps: 20, Dir: resuming, CheckpointEvery: 5, StopAfter: 10}); err != nil {
		t.Fatal(err)
	}
	init := filepath.Join(dir, "weights.ddpm")
	before = snapshot(t, resuming)
	if _, err := Train(backend, tinyCfg, Options{Steps: 20, Dir: resuming, InitFrom: init}); err == nil || !strings.Contains(err.Error(), "Options.InitFrom "+init) || !strings.Contains(err.Error(), "leave out Options.InitFrom") {
		t.Errorf("-init on a run that resumes: %v", err)
	}
	sameSnapshot(t, "-init on a run that resumes", before, snapshot(t, resuming))
	fine := filepath.Join(root, "finetune")
	if _, err := Train(backend, tinyCfg, Options{Steps: 20, Dir: fine, CheckpointEvery: 5, StopAfter: 10, InitFrom: init}); err != nil {
		t.Fatal(err)
	}
	res, err = Train(backend, tinyCfg, Options{Steps: 20, Dir: fine, InitFrom: init})
	if err != nil || res.StartStep != 10 {
		t.Errorf("the same -init command resumes: %v (start %d)", err, res.StartStep)
	} else if m := must(trained.Load(res.WeightsPath)); m.Provenance.Init != init {
		t.Errorf("provenance init %q, want %q", m.Provenance.Init, init)
	}
	other := filepath.Join(root, "other.ddpm")
	os.WriteFile(other, must(RewriteBytes(t, init)), 0o644)
	if _, err := Train(backend, tinyCfg, Options{Steps: 30, Dir: fine, InitFrom: other}); err == nil || !strings.Contains(err.Error(), "another weight file") {
		t.Errorf("another -init on a fine-tune: %v", err)
	}
}

// RewriteBytes is the weight file at path with another provenance command
// (the same network, other bytes).
func RewriteBytes(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w.ddpm")
	os.WriteFile(p, read(t, path), 0o644)
	if err := trained.RewriteProvenance(p, func(pr *trained.Provenance) { pr.Command = "another" }); err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// An interrupt finishes the step, checkpoints it, ends the progress line
// and returns *Interrupted; the run then resumes exactly.
func TestInterruptCheckpointsTheStep(t *testing.T) {
	backend := backendpkg.Must()
	straight := t.TempDir()
	if _, err := Train(backend, tinyCfg, Options{Steps: 12, Dir: straight, CheckpointEvery: 5}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sig := make(chan os.Signal, 1)
	sig <- os.Interrupt // arrives during step 1
	var bar bytes.Buffer
	_, err := Train(backend, tinyCfg, Options{Steps: 12, Dir: dir, CheckpointEvery: 5, Interrupt: sig, Progress: &bar})
	var intr *Interrupted
	if !errors.As(err, &intr) || intr.Step != 1 || err.Error() != "interrupted at step 1; the same command resumes" {
		t.Fatalf("got %v, want Interrupted at step 1", err)
	}
	if !strings.HasSuffix(bar.String(), "\n") {
		t.Errorf("progress line not ended: %q", bar.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "ckpt-000000001.ddpm")); err != nil {
		t.Errorf("no checkpoint of the interrupted step: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "weights.ddpm")); err == nil {
		t.Error("weights written by an interrupted run")
	}
	if _, err := Train(backend, tinyCfg, Options{Steps: 12, Dir: dir, CheckpointEvery: 5}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, filepath.Join(straight, "weights.ddpm"), filepath.Join(dir, "weights.ddpm"))
	if !bytes.Equal(read(t, filepath.Join(dir, "loss.csv")), read(t, filepath.Join(straight, "loss.csv"))) {
		t.Error("loss.csv differs from the straight run's")
	}
}

// After a divergence that kept no checkpoint, the divergence message says
// to start over with a lower -lr in the same folder: its loss log and the
// renamed checkpoints do not block that, but weights do.
func TestStartOverAfterDivergence(t *testing.T) {
	after := folderState{dir: "d", outputs: []string{lossLogName, lossCurveName}, diverged: true}
	if err := after.check(Options{Steps: 5}, ""); err != nil {
		t.Errorf("after a divergence: %v", err)
	}
	if err := (folderState{dir: "d", outputs: []string{lossLogName}}).check(Options{Steps: 5}, ""); err == nil {
		t.Error("a loss log without checkpoints (and no divergence) was accepted")
	}
	after.outputs = append(after.outputs, weightsName)
	if err := after.check(Options{Steps: 5}, ""); err == nil {
		t.Error("weights without checkpoints were accepted after a divergence")
	}
}
