package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/metatest"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
)

var tinyCfg = recipe.Config{Data: "moons", Network: nets.MLPConfig{Hidden: 8, Layers: 1}, Batch: 16, TrainConfig: ddpm.TrainConfig{Seed: 5}}

func train(t *testing.T, cfg recipe.Config, opt Options) (*Result, error) {
	t.Helper()
	return Train(backend.Must(), cfg, opt)
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Finding 1: a kill between a checkpoint and the loss-log write left
// loss.csv short, and the resumed run renumbered every later row; a corrupt
// loss.csv blocked the resume. The checkpoint now carries the losses.
func TestLossLogSurvivesStaleOrCorruptLog(t *testing.T) {
	straight := t.TempDir()
	if _, err := train(t, tinyCfg, Options{Steps: 20, Dir: straight, CheckpointEvery: 5}); err != nil {
		t.Fatal(err)
	}
	want := read(t, filepath.Join(straight, "loss.csv"))
	for name, damage := range map[string]func(b []byte) []byte{
		"stale":   func(b []byte) []byte { return b[:bytes.Index(b, []byte("\n9,"))+1] }, // rows 1–8 of 10
		"corrupt": func(b []byte) []byte { return []byte("step,loss\n\x00garbage,\"\n") },
		"missing": nil,
	} {
		dir := t.TempDir()
		if _, err := train(t, tinyCfg, Options{Steps: 20, Dir: dir, CheckpointEvery: 5, StopAfter: 10}); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "loss.csv")
		if damage == nil {
			os.Remove(p)
		} else {
			os.WriteFile(p, damage(read(t, p)), 0o644)
		}
		res, err := train(t, tinyCfg, Options{Steps: 20, Dir: dir, CheckpointEvery: 5})
		if err != nil {
			t.Fatalf("%s loss.csv: resume failed: %v", name, err)
		}
		if got := read(t, p); !bytes.Equal(got, want) || res.StartStep != 10 {
			t.Errorf("%s loss.csv: after resuming from step %d, loss.csv has %d lines and differs from the straight run's (%d lines)",
				name, res.StartStep, bytes.Count(got, []byte("\n")), bytes.Count(want, []byte("\n")))
		}
	}
}

// Finding 11: a corrupt newest checkpoint falls back to the previous one,
// saying which was skipped, and the run still ends as a straight one.
func TestResumeSkipsCorruptNewestCheckpoint(t *testing.T) {
	straight, dir := t.TempDir(), t.TempDir()
	if _, err := train(t, tinyCfg, Options{Steps: 15, Dir: straight, CheckpointEvery: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := train(t, tinyCfg, Options{Steps: 15, Dir: dir, CheckpointEvery: 5, StopAfter: 10}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "ckpt-000000010.ddpm")
	os.WriteFile(p, read(t, p)[:100], 0o644) // truncated
	var log bytes.Buffer
	res, err := train(t, tinyCfg, Options{Steps: 15, Dir: dir, CheckpointEvery: 5, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if res.StartStep != 5 || !strings.Contains(log.String(), "skipped checkpoint "+p) || !strings.Contains(log.String(), "resuming from step 5") {
		t.Errorf("start %d, log %q", res.StartStep, log.String())
	}
	if !bytes.Equal(read(t, filepath.Join(dir, "loss.csv")), read(t, filepath.Join(straight, "loss.csv"))) {
		t.Error("loss.csv differs from the straight run's")
	}
	sameTensors(t, filepath.Join(straight, "weights.ddpm"), filepath.Join(dir, "weights.ddpm"))
}

// Finding 3: divergence stops the run naming the step, keeps only the
// checkpoints before it, says how to resume with a lower learning rate, and
// that resume is allowed and recorded.
func TestDivergenceStopsAndLowerLRResumes(t *testing.T) {
	dir := t.TempDir()
	bad := tinyCfg
	bad.LearningRate = 1e3
	_, err := train(t, bad, Options{Steps: 200, Dir: dir, CheckpointEvery: 1, Keep: 500})
	if err == nil || !strings.Contains(err.Error(), "diverged at step") || !strings.Contains(err.Error(), "TrainConfig.LearningRate 100") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want a one-line divergence error suggesting TrainConfig.LearningRate 100", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "weights.ddpm")); err == nil {
		t.Error("weights written for a diverged run")
	}
	run := &ckpt.Run{Dir: dir}
	steps, _ := run.Steps()
	for _, s := range steps {
		m, _ := ckpt.ReadMeta(run.Path(s))
		losses, _ := checkpointLosses(m, s)
		for _, l := range losses {
			if l > 10*losses[0] {
				t.Errorf("checkpoint %d kept after a loss of %g", s, l)
				break
			}
		}
	}
	// A higher learning rate is refused, a lower one resumes and is recorded.
	higher := bad
	higher.LearningRate = 2e3
	if _, err := train(t, higher, Options{Steps: 200, Dir: dir}); err == nil || !strings.Contains(err.Error(), "may only lower it") {
		t.Errorf("higher lr: %v", err)
	}
	good := tinyCfg
	good.LearningRate = 1e-3
	res, err := train(t, good, Options{Steps: 30, Dir: dir, Keep: 500})
	if err != nil {
		t.Fatalf("resume with a lower -lr: %v", err)
	}
	m, err := trained.Load(res.WeightsPath)
	if err != nil {
		t.Fatal(err)
	}
	if h := m.Provenance.History; len(h) != 1 || h[0].LearningRate != [2]float64{1e3, 1e-3} || h[0].Step != res.StartStep {
		t.Errorf("history %+v (resumed from %d)", h, res.StartStep)
	}
	other := good
	other.Batch = 32
	if _, err := train(t, other, Options{Steps: 30, Dir: dir}); err == nil || !strings.Contains(err.Error(), "differs in batch") {
		t.Errorf("another batch: %v", err)
	}
}

func TestDivergenceDetector(t *testing.T) {
	var d divergence
	if bad, since, _ := d.observe(1, math.NaN()); !bad || since != 1 {
		t.Errorf("NaN at step 1: %v since %d", bad, since)
	}
	d = divergence{}
	for s := int64(1); s <= 100; s++ { // a noisy but healthy run
		if bad, _, why := d.observe(s, 1+0.5*math.Sin(float64(s))); bad {
			t.Fatalf("healthy run flagged at step %d: %s", s, why)
		}
	}
	healthy := d
	for s := int64(101); s < 101+divergenceSuspects-1; s++ {
		if bad, _, _ := d.observe(s, 1e6); bad {
			t.Fatalf("flagged at step %d, before %d suspect steps", s, divergenceSuspects)
		}
	}
	bad, since, why := d.observe(101+divergenceSuspects-1, 1e6)
	if !bad || since != 101 || !strings.Contains(why, "running median") {
		t.Errorf("sustained: %v since %d (%s)", bad, since, why)
	}
	// Dips: a loss back near normal every third step (as the -lr 5
	// swissroll run had) breaks every stretch, but not the count.
	d = healthy
	for s := int64(101); ; s++ {
		loss := 1e15
		if s%3 == 0 {
			loss = 1.2
		}
		bad, since, _ := d.observe(s, loss)
		if bad {
			if s > 101+divergencePatience || since != 101 {
				t.Errorf("with dips: stopped at step %d from %d, want within %d steps from 101", s, since, divergencePatience)
			}
			break
		}
		if s > 101+2*divergencePatience {
			t.Fatal("with dips: never stopped")
		}
	}
	// Rare spikes (one step in five) in a healthy run are tolerated.
	d = healthy
	for s := int64(101); s <= 1000; s++ {
		loss := 1 + 0.5*math.Sin(float64(s))
		if s%5 == 0 {
			loss = 1e3
		}
		if bad, _, why := d.observe(s, loss); bad {
			t.Fatalf("one spike in five flagged at step %d: %s", s, why)
		}
	}
}

// Findings 5 and 9: a folder in use, or holding files but no run.json, is
// refused and left as it was.
func TestTrainRefusesLockedAndForeignFolders(t *testing.T) {
	dir := t.TempDir()
	r, err := ckpt.OpenRun(dir, tinyCfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := tinyCfg.WithDefaults()
	os.WriteFile(filepath.Join(dir, "run.json"), append(must(jsonIndent(cfg)), '\n'), 0o644)
	if _, err := train(t, tinyCfg, Options{Steps: 5, Dir: dir}); !errors.Is(err, ckpt.ErrLocked) {
		t.Errorf("locked: %v", err)
	}
	r.Close()

	foreign := t.TempDir()
	w := filepath.Join(foreign, "weights.ddpm")
	os.WriteFile(w, []byte("someone else's weights"), 0o644)
	if _, err := train(t, tinyCfg, Options{Steps: 5, Dir: foreign}); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Errorf("foreign: %v", err)
	}
	if entries, _ := os.ReadDir(foreign); string(read(t, w)) != "someone else's weights" || len(entries) != 1 {
		t.Errorf("foreign folder changed: %d entries", len(entries))
	}
}

// Finding 6: weights whose variables do not match their configuration, and
// finding 2: a configuration with a negative width, are one-line errors.
func TestWeightsMustMatchTheirConfig(t *testing.T) {
	b := read(t, "../trained/testdata/tiny-weights.ddpm")
	for _, c := range []struct{ old, new, want string }{
		{`"Hidden":4`, `"Hidden":8`, "do not match their configuration"},
		{`"Hidden":4`, `"Hidden":-4`, "MLPConfig.Hidden = -4"},
		{`"T":1000`, `"T":20000000`, "ScheduleConfig.T = 20000000"},
	} {
		p := filepath.Join(t.TempDir(), "w.ddpm")
		os.WriteFile(p, metatest.WithMeta(t, b, c.old, c.new), 0o644)
		// A bad file is no usage error (not a *field.Error, which the CLI
		// reports with exit 2), and its message has one package prefix.
		if _, err := trained.Load(p); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || field.As(err) != nil || strings.Count(err.Error(), ": nets: ")+strings.Count(err.Error(), ": ddpm: ") > 0 {
			t.Errorf("%s: %v, want %q", c.new, err, c.want)
		}
	}
	if _, err := trained.Load("../trained/testdata/tiny-weights.ddpm"); err != nil {
		t.Errorf("the real file: %v", err)
	}
}

// When a diverged checkpoint cannot be set aside, the error says so and how
// to go on, instead of claiming that the last good one is kept (a resume
// would start from the diverged weights).
func TestDivergedRenameFailing(t *testing.T) {
	defer func(r func(string, string) error) { rename = r }(rename)
	rename = func(from, to string) error {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: os.ErrPermission}
	}
	bad := tinyCfg
	bad.LearningRate = 1e3
	_, err := train(t, bad, Options{Steps: 200, Dir: t.TempDir(), CheckpointEvery: 1, Keep: 500})
	if err == nil || !strings.Contains(err.Error(), "could not be set aside") || !strings.Contains(err.Error(), "delete it") || strings.Contains(err.Error(), "kept the checkpoint") {
		t.Fatalf("got %v, want the divergence error naming the checkpoint that could not be set aside", err)
	}
}

// Every shipped weight file (written before networks were registered,
// with both "mlp" and "unet" configurations in its metadata) loads, checks
// against its network, and its configuration survives a JSON round trip in
// the current form.
func TestShippedWeightsLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "weights", "*.ddpm"))
	if err != nil || len(files) < 5 {
		t.Fatalf("shipped weights: %v %v", files, err)
	}
	for _, f := range files {
		m, err := trained.Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		raw, err := json.Marshal(m.Config)
		if err != nil {
			t.Fatal(err)
		}
		var back recipe.Config
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Errorf("%s: %s does not read back: %v", f, raw, err)
			continue
		}
		if back, err = back.WithDefaults(); err != nil || !reflect.DeepEqual(back, m.Config) {
			t.Errorf("%s: round trip %+v ≠ %+v (%v)", f, back, m.Config, err)
		}
		t.Logf("%s: %s %s, %d parameters", filepath.Base(f), m.Config.ModelName(), m.Config.Network.Summary(), m.Config.NumParameters())
	}
}
