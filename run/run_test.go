package run

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func smallConfig() recipe.Config {
	return recipe.Config{Data: "swissroll", Network: nets.MLPConfig{Hidden: 32, Layers: 2}, Batch: 64,
		Schedule: ddpm.ScheduleConfig{T: 50, Rescale: true}, TrainConfig: ddpm.TrainConfig{WarmupSteps: 5, Seed: 7}}
}

func storeBytes(t *testing.T, s *model.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for v := range s.IterVariables() {
		if !v.HasValue() {
			continue
		}
		val := v.MustValue()
		_ = val.ConstBytes(func(b []byte) { out[v.Path()] = append([]byte(nil), b...) })
	}
	return out
}

// An interrupted run resumed from its checkpoint ends with bit-identical
// weights, optimiser state, EMA and RNG to a straight run.
func TestResumeIsExact(t *testing.T) {
	backend := backendpkg.Must()
	cfg := smallConfig()
	root := t.TempDir()
	straight, err := Train(backend, cfg, Options{Steps: 40, Dir: filepath.Join(root, "a"), CheckpointEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	a := storeBytes(t, straight.Store) // now: the backend may reuse device buffers later
	dirB := filepath.Join(root, "b")
	part, err := Train(backend, cfg, Options{Steps: 40, Dir: dirB, CheckpointEvery: 10, StopAfter: 20})
	if err != nil {
		t.Fatal(err)
	}
	if part.Step != 20 || part.WeightsPath != "" {
		t.Fatalf("interrupted run reached %d (weights %q)", part.Step, part.WeightsPath)
	}
	resumed, err := Train(backend, cfg, Options{Steps: 40, Dir: dirB, CheckpointEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.StartStep != 20 || resumed.Step != 40 || len(resumed.Losses) != 40 {
		t.Fatalf("resumed from %d to %d with %d losses", resumed.StartStep, resumed.Step, len(resumed.Losses))
	}
	b := storeBytes(t, resumed.Store)
	if len(a) != len(b) || len(a) < 5 {
		t.Fatalf("%d vs %d variables", len(a), len(b))
	}
	for k, va := range a {
		if !bytes.Equal(va, b[k]) {
			t.Errorf("variable %s differs after resume", k)
		}
	}
	for i := range straight.Losses {
		if straight.Losses[i] != resumed.Losses[i] {
			t.Fatalf("loss of step %d: %g straight, %g resumed", i+1, straight.Losses[i], resumed.Losses[i])
		}
	}
	for _, f := range []string{"loss.csv", "loss.png", "weights.ddpm", "run.json"} {
		if _, err := os.Stat(filepath.Join(dirB, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	// Another configuration in the same folder is refused.
	other := cfg
	other.Seed = 8
	if _, err := Train(backend, other, Options{Steps: 40, Dir: dirB}); err == nil || !strings.Contains(err.Error(), "holds a different run") {
		t.Errorf("other run in the same folder: %v", err)
	}
}

func TestWeightsLoadAndSample(t *testing.T) {
	backend := backendpkg.Must()
	dir := t.TempDir()
	res, err := Train(backend, smallConfig(), Options{Steps: 30, Dir: dir, Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := trained.Load(res.WeightsPath)
	if err != nil {
		t.Fatal(err)
	}
	if m.Provenance.Steps != 30 || m.Provenance.Weights != "ema" || m.Provenance.Parameters != smallConfig().Network.NumParameters() {
		t.Errorf("provenance %+v", m.Provenance)
	}
	sampleEveryKind(t, backend, m)
	// A checkpoint is not a weight file.
	if _, err := trained.Load(filepath.Join(dir, "ckpt-000000030.ddpm")); err == nil || !strings.Contains(err.Error(), "not a ddpm-go weight file") {
		t.Errorf("checkpoint as weights: %v", err)
	}
}

// A data set that needs a folder, trained without one, is refused naming
// the field (the -data-dir flag).
func TestTrainNeedsDataDir(t *testing.T) {
	if _, err := Train(backendpkg.Must(), recipe.Config{Data: recipe.FashionMNIST}, Options{Steps: 1, Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "Config.DataDir") {
		t.Errorf("fashion without dir: %v", err)
	}
}

// A checkpoint of a single-device run resumes data-parallel: the weights
// reached match the straight single-device run within float32 tolerance
// (only the order of the gradient sums differs).
func TestResumeOnTwoDevices(t *testing.T) {
	backend := backendpkg.Must()
	if backend.NumDevices() < 2 {
		t.Skipf("backend %s has one device", backendpkg.Describe(backend))
	}
	cfg := smallConfig()
	root := t.TempDir()
	straight, err := Train(backend, cfg, Options{Steps: 30, Dir: filepath.Join(root, "a"), Devices: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{}
	for v := range straight.Store.IterVariables() {
		if val := v.MustValue(); val.DType().String() == "Float32" {
			want[v.Path()] = tensors.MustCopyFlatData[float32](val)
		}
	}
	dir := filepath.Join(root, "b")
	if _, err := Train(backend, cfg, Options{Steps: 30, Dir: dir, StopAfter: 15, Devices: 1}); err != nil {
		t.Fatal(err)
	}
	resumed, err := Train(backend, cfg, Options{Steps: 30, Dir: dir, Devices: 2})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Devices != 2 || resumed.StartStep != 15 {
		t.Fatalf("resumed from step %d on %d devices, want 15 on 2", resumed.StartStep, resumed.Devices)
	}
	for i, l := range straight.Losses {
		if d := l - resumed.Losses[i]; d > 1e-4 || d < -1e-4 {
			t.Errorf("loss of step %d: %g on one device, %g resumed on two", i+1, l, resumed.Losses[i])
		}
	}
	for path, w := range want {
		got := tensors.MustCopyFlatData[float32](resumed.Store.GetVariable(path).MustValue())
		for i := range w {
			if d := float64(w[i] - got[i]); d > 1e-4 || d < -1e-4 {
				t.Errorf("%s[%d]: %g on one device, %g resumed on two", path, i, w[i], got[i])
				break
			}
		}
	}
	if len(want) < 10 {
		t.Errorf("compared only %d float variables", len(want))
	}
	if backend.NumDevices() >= 3 {
		_, err := Train(backend, cfg, Options{Steps: 30, Dir: filepath.Join(root, "c"), Devices: 3})
		if err == nil || !strings.Contains(err.Error(), "multiple of 3") {
			t.Errorf("batch 64 on 3 devices: err = %v, want 'multiple of 3'", err)
		}
	}
}

// A learned-variance model end to end: it trains with L_hybrid, its weight
// file keeps learn_variance, and every sampler reads the prediction half of
// its 2·Dim outputs (ancestral with Σ_θ); a fixed variance is refused.
func TestLearnVarianceModel(t *testing.T) {
	backend := backendpkg.Must()
	cfg := smallConfig()
	cfg.LearnVariance = true
	res, err := Train(backend, cfg, Options{Steps: 150, Dir: t.TempDir(), Command: "test"}) // after 20 steps an ancestral chain still diverges to NaN: ε̂ does not yet cancel the 1/√α_t growth
	if err != nil {
		t.Fatal(err)
	}
	m, err := trained.Load(res.WeightsPath)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Config.LearnVariance || m.Config.Network.(nets.MLPConfig).OutDim != 4 || m.Config.Variance() != ddpm.Learned {
		t.Fatalf("loaded config %+v", m.Config)
	}
	sampleEveryKind(t, backend, m)
	if _, _, err := m.Sample(backend, ddpm.SampleConfig{Variance: ddpm.FixedSmall}, 4, 1); err == nil || !strings.Contains(err.Error(), "learned its reverse variances") {
		t.Errorf("fixed-small on a learned model: %v", err)
	}
}

// sampleEveryKind draws 16 2-D samples from m with each sampler and checks
// their shape and that none is NaN.
func sampleEveryKind(t *testing.T, backend compute.Backend, m *trained.Model) {
	t.Helper()
	for _, kind := range []ddpm.SamplerKind{ddpm.Ancestral, ddpm.DDIM, ddpm.Langevin} {
		sc := ddpm.SampleConfig{Kind: kind, Steps: 10}
		if kind == ddpm.Langevin {
			sc.LangevinK = 2
		}
		x, _, err := m.Sample(backend, sc, 16, 1)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if d := x.Shape().Dimensions; len(d) != 2 || d[0] != 16 || d[1] != 2 {
			t.Errorf("%s: shape %v", kind, d)
		}
		for _, v := range tensors.MustCopyFlatData[float32](x) {
			if v != v {
				t.Fatalf("%s: NaN sample", kind)
			}
		}
	}
}

// A class-conditional run on the labelled 8 Gaussians, end to end: labels
// from the data source, the weight file's configuration, guided samples
// landing on the requested mode, and the refusals around it.
func TestConditionalRun(t *testing.T) {
	backend := backendpkg.Must()
	cfg := recipe.Config{Data: "8gaussians", Network: nets.MLPConfig{Hidden: 64, Layers: 3}, Batch: 256,
		Schedule: ddpm.ScheduleConfig{T: 100, Rescale: true}, TrainConfig: ddpm.TrainConfig{NumClasses: 8, LearningRate: 2e-3, WarmupSteps: 50, Seed: 3}}
	res, err := Train(backend, cfg, Options{Steps: 600, Dir: t.TempDir(), Command: "test", Guidance: 0.25, GuidanceInterval: ddpm.GuidanceInterval{Lo: 0.2, Hi: 4}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := trained.Load(res.WeightsPath)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.NumClasses != 8 || m.Config.Network.(nets.MLPConfig).NumClasses != 8 || m.Config.PUncond != ddpm.DefaultPUncond {
		t.Fatalf("loaded config: %+v", m.Config)
	}
	if m.DefaultGuidance() != 0.25 { // Options.Guidance is the weight file's default w
		t.Errorf("DefaultGuidance %g, want 0.25 (provenance %+v)", m.DefaultGuidance(), m.Provenance.Guidance)
	}
	// The interval is the weight file's too, applied whenever guidance is on
	// and no interval was asked for; "all" (the zero value, given) guides at every step.
	iv := ddpm.GuidanceInterval{Lo: 0.2, Hi: 4}
	for _, c := range []struct {
		in              trained.GuidanceOptions
		wGiven, ivGiven bool
		want            trained.GuidanceOptions
	}{
		{trained.GuidanceOptions{Label: -1}, false, false, trained.GuidanceOptions{Label: -1, W: 0.25, Interval: iv}},
		{trained.GuidanceOptions{Label: -1, W: 2}, true, false, trained.GuidanceOptions{Label: -1, W: 2, Interval: iv}},
		{trained.GuidanceOptions{Label: -1, W: 2}, true, true, trained.GuidanceOptions{Label: -1, W: 2}},
		{trained.GuidanceOptions{Label: -1}, true, false, trained.GuidanceOptions{Label: -1}},
		{trained.GuidanceOptions{Label: -1, Unconditional: true}, false, false, trained.GuidanceOptions{Label: -1, Unconditional: true}},
	} {
		if got := m.CompleteGuidance(c.in, c.wGiven, c.ivGiven); got != c.want {
			t.Errorf("CompleteGuidance(%+v, %v, %v) = %+v, want %+v", c.in, c.wGiven, c.ivGiven, got, c.want)
		}
	}
	// Guidance limited to an interval that holds no step is the conditional model.
	if _, err := m.Guidance(trained.GuidanceOptions{Label: 1, Interval: ddpm.GuidanceInterval{Lo: 0.5, Hi: 2}}, 4); err == nil {
		t.Error("an interval without a guidance weight accepted")
	}
	const n, label = 400, 2
	x, _, err := m.SampleGuided(backend, m.SampleConfig(ddpm.Ancestral), trained.Guidance{Labels: []int32{label}, W: 1}, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	pts := tensors.MustCopyFlatData[float32](x)
	near := 0
	for i := range n {
		a := 2 * math.Pi * label / 8
		dx, dy := float64(pts[2*i])-data.EightGaussiansRadius*math.Cos(a), float64(pts[2*i+1])-data.EightGaussiansRadius*math.Sin(a)
		if math.Hypot(dx, dy) < 0.3 {
			near++
		}
	}
	if near < n*6/10 {
		t.Errorf("guided samples for mode %d: %d of %d within 0.3 of it", label, near, n)
	}
	t.Logf("%d of %d guided samples (w = 1) on mode %d", near, n, label)
}

func TestStepsFor(t *testing.T) {
	steps, rate, err := StepsFor(backendpkg.Must(), smallConfig(), 2*time.Second, 5)
	if err != nil {
		t.Fatal(err)
	}
	// At most 2 s of steps less the margin (the compilation comes off too).
	if !(rate > 0) || steps < 1 || float64(steps) > 2*rate*(1-StepsMargin)+1 {
		t.Errorf("StepsFor: %d steps at %.1f steps/s for 2 s", steps, rate)
	}
	if _, _, err := StepsFor(backendpkg.Must(), recipe.Config{Data: "nope"}, time.Second, 1); err == nil {
		t.Error("unknown data accepted")
	}
}
