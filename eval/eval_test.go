package eval

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/run"
	"github.com/ddpm-go/ddpm-go/trained"
)

// smallConfig is a small 2-D recipe that trains in seconds (run's tests use
// the same).
func smallConfig() recipe.Config {
	return recipe.Config{Data: "swissroll", Network: nets.MLPConfig{Hidden: 32, Layers: 2}, Batch: 64,
		Schedule: ddpm.ScheduleConfig{T: 50, Rescale: true}, TrainConfig: ddpm.TrainConfig{WarmupSteps: 5, Seed: 7}}
}

// Evaluate on a barely trained 2-D model: sliced W1 and MMD, each with a
// positive floor and a ratio above 1; the report carries the protocol
// (sampler, DDIM's default steps, seed) and the same numbers twice
// (Reports and the JSON-ready Metrics); the same seed gives the same numbers.
func TestEvaluate2D(t *testing.T) {
	cfg := smallConfig()
	res, err := run.Train(backendpkg.Must(), cfg, run.Options{Steps: 60, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := trained.Load(res.WeightsPath)
	if err != nil {
		t.Fatal(err)
	}
	ec := Config{N: 200, Sample: m.SampleConfig(ddpm.DDIM), Seed: 3}
	r, err := Evaluate(backendpkg.Must(), m, ec)
	if err != nil {
		t.Fatal(err)
	}
	// T = 50 in smallConfig: DDIM's default S = min(50, T).
	if r.Weights != res.WeightsPath || r.Data != "swissroll" || r.N != 200 || r.Sampler != "ddim" || r.Steps != min(ddpm.DefaultDDIMSteps, 50) || r.Seed != 3 {
		t.Errorf("report header: %+v", r)
	}
	if len(r.Reports) != 2 || len(r.Metrics) != 2 {
		t.Fatalf("want 2 metrics, got %+v", r.Reports)
	}
	for i, name := range []string{"sliced-W1", "MMD"} {
		rep, js := r.Reports[i], r.Metrics[i]
		if rep.Name != name || !(rep.Floor > 0) || !(rep.Ratio > 1) || math.Abs(rep.Ratio-rep.Value/rep.Floor) > 1e-9*rep.Ratio {
			t.Errorf("metric %d: %+v", i, rep)
		}
		if js.Name != name || js.Value == nil || *js.Value != rep.Value || js.Floor == nil || *js.Floor != rep.Floor {
			t.Errorf("metric %d JSON %+v vs %+v", i, js, rep)
		}
		if r.Notes[name] == "" {
			t.Errorf("no note for %s", name)
		}
	}
	again, err := Evaluate(backendpkg.Must(), m, ec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range again.Reports {
		if again.Reports[i] != r.Reports[i] {
			t.Errorf("same seed, metric %d: %+v then %+v", i, r.Reports[i], again.Reports[i])
		}
	}
	// The sampler's conventions reach the sampler (other steps, other
	// metrics) and the report says which were used.
	ec.Sample.Steps, ec.Sample.Spacing, ec.Sample.FinalAlphaBarFirst = 10, ddpm.SpacingLeading, true
	lead, err := Evaluate(backendpkg.Must(), m, ec)
	if err != nil {
		t.Fatal(err)
	}
	ec.Sample.Spacing, ec.Sample.FinalAlphaBarFirst = "", false
	trail, err := Evaluate(backendpkg.Must(), m, ec)
	if err != nil {
		t.Fatal(err)
	}
	if lead.Reports[0].Value == trail.Reports[0].Value || !strings.Contains(lead.Notes["sampler"], "spacing leading") || trail.Notes["sampler"] != "" {
		t.Errorf("leading spacing: %v (%q), trailing: %v (%q)", lead.Reports[0].Value, lead.Notes["sampler"], trail.Reports[0].Value, trail.Notes["sampler"])
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	img, toy := modelOf(t, recipe.Config{Data: recipe.MNIST}), modelOf(t, recipe.Config{})
	e, err := Config{}.WithDefaults(img)
	if err != nil || e.N != 10000 || e.Sample.Kind != ddpm.Ancestral || e.Sample.ClipX0 != 1 || e.NLLStride != 1 || e.SampleBatch != 1000 || e.Classifier == "" {
		t.Errorf("image defaults: %+v, %v", e, err)
	}
	ddim := img.SampleConfig(ddpm.DDIM)
	ddim.Eta = 1
	if e, err := (Config{Sample: ddim}).WithDefaults(img); err != nil || e.Sample.ClipX0 != 1 || e.Sample.Steps != ddpm.DefaultDDIMSteps || e.Sample.Eta != 1 {
		t.Errorf("image DDIM sampler: %+v, %v", e.Sample, err)
	}
	if e, err := (Config{}).WithDefaults(toy); err != nil || e.N != 2000 || e.Sample.ClipX0 != 0 {
		t.Errorf("2-D defaults: %+v, %v", e, err)
	}
	for _, bad := range []Config{{N: 1}, {Sample: ddpm.SampleConfig{Kind: ddpm.Langevin}}, {Sample: ddpm.SampleConfig{Kind: ddpm.DDIM, Eta: 2}}, {NLLStride: -1}, {Sample: ddpm.SampleConfig{Kind: ddpm.DDIM, Steps: -1}}} {
		if _, err := bad.WithDefaults(toy); field.As(err) == nil {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
	if _, err := (Config{Guidance: 1}).WithDefaults(toy); err == nil {
		t.Error("guidance accepted for an unconditional model")
	}
	weightless := &trained.Model{Config: toy.Config, Schedule: toy.Schedule, Path: filepath.Join(t.TempDir(), "x")}
	if _, err := Evaluate(backendpkg.Must(), weightless, Config{N: 1}); err == nil {
		t.Error("Evaluate accepted N = 1")
	}
}

// Evaluate on the shipped MNIST weights, with few samples and steps: the
// image protocol reports MNIST-FD with its floor and the share of samples
// and of test digits that the classifier reads with confidence ≥ 0.9 (the
// classifier has 99.3 % test accuracy, so most test digits must count).
func TestEvaluateMNIST(t *testing.T) {
	m, err := trained.Load(filepath.Join("..", "weights", "mnist.ddpm"))
	if err != nil {
		t.Fatal(err)
	}
	sc := m.SampleConfig(ddpm.DDIM)
	sc.Steps = 5
	r, err := Evaluate(backendpkg.Must(), m, Config{N: 50, Sample: sc, Seed: 2,
		Classifier: filepath.Join("..", "classifier", "mnist_classifier.ddpm")})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Reports) != 1 || r.Reports[0].Name != "MNIST-FD" || !(r.Reports[0].Floor > 0) || !(r.Reports[0].Value > 0) {
		t.Fatalf("reports %+v", r.Reports)
	}
	cs, ok := r.Extra["confident_share"].(map[string]float64)
	if !ok || !(cs["test_images"] > 0.9) || !(cs["samples"] >= 0 && cs["samples"] <= 1) || cs["threshold"] != ConfidentThreshold {
		t.Errorf("confident share %v", r.Extra["confident_share"])
	}
	t.Logf("MNIST-FD %.3g (floor %.3g); confident share %v", r.Reports[0].Value, r.Reports[0].Floor, cs)
}
