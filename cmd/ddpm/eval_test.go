package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	runpkg "github.com/ddpm-go/ddpm-go/run"
	"github.com/ddpm-go/ddpm-go/trained"
)

// tinyWeights trains a tiny 2-D MLP for a few steps and returns its weight file.
func tinyWeights(t *testing.T) string {
	t.Helper()
	cfg := recipe.Config{Data: "swissroll", Network: nets.MLPConfig{Hidden: 32, Layers: 2}, Batch: 64,
		Schedule: ddpm.ScheduleConfig{T: 50, Rescale: true}, TrainConfig: ddpm.TrainConfig{WarmupSteps: 5, Seed: 7}}
	res, err := runpkg.Train(backendpkg.Must(), cfg, runpkg.Options{Steps: 60, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return res.WeightsPath
}

// On 2-D data eval reports sliced W1 and MMD with positive floors and
// finite ratios, in JSON and as a table; a barely trained model is worse
// than its floor on both.
func TestEval2D(t *testing.T) {
	w := tinyWeights(t)
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "-weights", w, "-n", "200", "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Weights, Data, Sampler string
		N                      int
		Provenance             trained.Provenance
		Metrics                []struct {
			Name                string
			Value, Floor, Ratio *float64
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got.Weights != w || got.Data != "swissroll" || got.N != 200 || got.Sampler != "ancestral" || got.Provenance.Steps != 60 || len(got.Metrics) != 2 {
		t.Fatalf("unexpected JSON: %s", out.String())
	}
	for i, name := range []string{"sliced-W1", "MMD"} {
		m := got.Metrics[i]
		if m.Name != name || m.Value == nil || m.Floor == nil || m.Ratio == nil || !(*m.Floor > 0) || !(*m.Ratio > 1) ||
			math.Abs(*m.Ratio - *m.Value / *m.Floor) > 1e-9**m.Ratio {
			t.Errorf("metric %d: %s", i, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"eval", "-weights", w, "-n", "200", "-sampler", "ddim", "-steps", "10"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if s := out.String(); !strings.Contains(s, "sliced-W1") || !strings.Contains(s, "ratio") || !strings.Contains(s, "ddim S=10") {
		t.Errorf("table:\n%s", s)
	}
	t.Logf("table:\n%s", out.String())
}

func TestEvalBadFlagsExit2WithOneLine(t *testing.T) {
	w := filepath.Join("..", "..", "trained", "testdata", "tiny-weights.ddpm") // the flags are checked against the model
	for _, args := range [][]string{
		{"eval"},
		{"eval", "-weights", w, "-sampler", "langevin"},
		{"eval", "-weights", w, "-n", "1"},
		{"eval", "-weights", w, "-nll-stride", "0"},
		{"eval", "-weights", w, "-eta", "2"},
		{"eval", "-weights", w, "-n", "ten"},
		{"eval", "-frobnicate"},
		{"eval", "extra"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		msg := strings.TrimSpace(errb.String())
		if code != 2 || msg == "" || strings.Contains(msg, "\n") || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "-weights", filepath.Join(t.TempDir(), "missing.ddpm")}, &out, &errb); code != 1 {
		t.Errorf("missing weight file: exit %d, want 1", code)
	}
}

// The MNIST path end to end at tiny sizes (DDIM with 5 steps, 8 samples, an
// NLL estimate from 4 digits with one term in 250): only the plumbing.
func TestEvalMNISTPlumbing(t *testing.T) {
	w := filepath.Join("..", "..", "weights", "mnist.ddpm")
	if _, err := os.Stat(w); err != nil {
		t.Skipf("no MNIST weights at %s", w)
	}
	if _, err := os.Stat(classifier.DefaultPath()); err != nil {
		t.Skipf("no classifier weights at %s (go run ./classifier/cmd/trainclassifier)", classifier.DefaultPath())
	}
	if _, err := data.GoMNISTDir(); err != nil {
		t.Skipf("MNIST unavailable: %v", err)
	}
	var out, errb bytes.Buffer
	args := []string{"eval", "-weights", w, "-n", "8", "-sampler", "ddim", "-steps", "5", "-nll-examples", "4", "-nll-stride", "250", "-json"}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Metrics []struct {
			Name         string
			Value, Floor *float64
		}
		NLL *struct {
			BitsPerDim float64 `json:"bits_per_dim"`
			StdErr     float64 `json:"std_err"`
			Examples   int
			Estimate   bool
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(got.Metrics) != 1 || got.Metrics[0].Name != "MNIST-FD" || got.Metrics[0].Value == nil || got.Metrics[0].Floor == nil ||
		!(*got.Metrics[0].Floor > 0) || got.NLL == nil || got.NLL.Examples != 4 || !got.NLL.Estimate || !(got.NLL.BitsPerDim > 0) {
		t.Fatalf("unexpected JSON: %s", out.String())
	}
	t.Logf("%s", errb.String())
}
