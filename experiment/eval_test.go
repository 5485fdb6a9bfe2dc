package experiment

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
)

// Evaluate on a barely trained 2-D model: sliced W1 and MMD, each with a
// positive floor and a ratio above 1; the report carries the protocol
// (sampler, DDIM's default steps, seed) and the same numbers twice
// (Reports and the JSON-ready Metrics); the same seed gives the same numbers.
func TestEvaluate2D(t *testing.T) {
	cfg := smallConfig()
	res, err := Train(ddpm.MustBackend(), cfg, RunOptions{Steps: 60, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadWeights(res.WeightsPath)
	if err != nil {
		t.Fatal(err)
	}
	ec := EvalConfig{N: 200, Sampler: ddpm.DDIM, Seed: 3}
	r, err := Evaluate(ddpm.MustBackend(), m, ec)
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
	again, err := Evaluate(ddpm.MustBackend(), m, ec)
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
	ec.Steps, ec.Spacing, ec.FinalAlphaBarFirst = 10, ddpm.SpacingLeading, true
	lead, err := Evaluate(ddpm.MustBackend(), m, ec)
	if err != nil {
		t.Fatal(err)
	}
	ec.Spacing, ec.FinalAlphaBarFirst = "", false
	trail, err := Evaluate(ddpm.MustBackend(), m, ec)
	if err != nil {
		t.Fatal(err)
	}
	if lead.Reports[0].Value == trail.Reports[0].Value || !strings.Contains(lead.Notes["sampler"], "spacing leading") || trail.Notes["sampler"] != "" {
		t.Errorf("leading spacing: %v (%q), trailing: %v (%q)", lead.Reports[0].Value, lead.Notes["sampler"], trail.Reports[0].Value, trail.Notes["sampler"])
	}
}

func TestEvalConfigDefaultsAndErrors(t *testing.T) {
	img, err := Config{Data: MNIST}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	toy, err := Config{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	e, err := EvalConfig{}.WithDefaults(img)
	if err != nil || e.N != 10000 || e.Sampler != ddpm.Ancestral || e.NLLStride != 1 || e.SampleBatch != 1000 || e.Classifier == "" {
		t.Errorf("image defaults: %+v, %v", e, err)
	}
	if sc := (EvalConfig{Sampler: ddpm.DDIM, Eta: 1}).sampleConfig(img); sc.ClipX0 != 1 || sc.Steps != ddpm.DefaultDDIMSteps || sc.Eta != 1 {
		t.Errorf("image DDIM sampler: %+v", sc)
	}
	if e, err := (EvalConfig{}).WithDefaults(toy); err != nil || e.N != 2000 || e.sampleConfig(toy).ClipX0 != 0 {
		t.Errorf("2-D defaults: %+v, %v", e, err)
	}
	for _, bad := range []EvalConfig{{N: 1}, {Sampler: ddpm.Langevin}, {Eta: 2}, {NLLStride: -1}, {Steps: -1}} {
		if _, err := bad.WithDefaults(toy); err == nil || !strings.HasPrefix(err.Error(), "experiment:") {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
	if _, err := Evaluate(ddpm.MustBackend(), &Model{Config: toy, Path: filepath.Join(t.TempDir(), "x")}, EvalConfig{N: 1}); err == nil {
		t.Error("Evaluate accepted N = 1")
	}
}

// Evaluate on the shipped MNIST weights, with few samples and steps: the
// image protocol reports MNIST-FD with its floor and the share of samples
// and of test digits that the classifier reads with confidence ≥ 0.9 (the
// classifier has 99.3 % test accuracy, so most test digits must count).
func TestEvaluateMNIST(t *testing.T) {
	m, err := LoadWeights(filepath.Join("..", "weights", "mnist.ddpm"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(ddpm.MustBackend(), m, EvalConfig{N: 50, Sampler: ddpm.DDIM, Steps: 5, Seed: 2,
		Classifier: filepath.Join("..", "classifier", "mnist_classifier.ddpm")})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Reports) != 1 || r.Reports[0].Name != "MNIST-FD" || !(r.Reports[0].Floor > 0) || !(r.Reports[0].Value > 0) {
		t.Fatalf("reports %+v", r.Reports)
	}
	cs, ok := r.Extra["confident_share"].(map[string]float64)
	if !ok || !(cs["test_digits"] > 0.9) || !(cs["samples"] >= 0 && cs["samples"] <= 1) || cs["threshold"] != ConfidentThreshold {
		t.Errorf("confident share %v", r.Extra["confident_share"])
	}
	t.Logf("MNIST-FD %.3g (floor %.3g); confident share %v", r.Reports[0].Value, r.Reports[0].Floor, cs)
}
