package experiment

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/gomlx/core/tensors"
)

// SampleMany in one batch draws exactly SampleGuided's samples; in several
// it draws batch k from seed + 2k (the evaluation's convention) and reports
// its progress with the time left.
func TestSampleManyBatches(t *testing.T) {
	backend := ddpm.MustBackend()
	m, err := LoadWeights("testdata/tiny-weights.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	sc := m.Config.SampleConfig(ddpm.DDIM)
	sc.Steps = 4
	one, _, err := m.Sample(backend, sc, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.SampleMany(backend, sc, Guidance{}, 10, 3, SampleOptions{Batch: 10})
	if err != nil || !reflect.DeepEqual(tensors.MustCopyFlatData[float32](got), tensors.MustCopyFlatData[float32](one)) {
		t.Fatalf("one batch differs from Sample (%v)", err)
	}
	var progress bytes.Buffer
	many, err := m.SampleMany(backend, sc, Guidance{}, 25, 3, SampleOptions{Batch: 10, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if d := many.Shape().Dimensions; len(d) != 2 || d[0] != 25 || d[1] != 2 {
		t.Fatalf("shape %v", d)
	}
	flat := tensors.MustCopyFlatData[float32](many)
	if !reflect.DeepEqual(flat[:20], tensors.MustCopyFlatData[float32](one)[:20]) {
		t.Error("batch 0 differs from a single call's first 10 samples")
	}
	third, _, _ := m.Sample(backend, sc, 5, 3+2*2)
	if !reflect.DeepEqual(flat[40:], tensors.MustCopyFlatData[float32](third)) {
		t.Error("batch 2 is not the samples of seed + 4")
	}
	if p := progress.String(); !strings.Contains(p, "sampled 10/25") || !strings.Contains(p, "sampled 25/25") || !strings.Contains(p, "left") || !strings.HasSuffix(p, "\n") {
		t.Errorf("progress %q", p)
	}
	if _, err := m.SampleMany(backend, sc, Guidance{}, 0, 3, SampleOptions{}); err == nil {
		t.Error("0 samples accepted")
	}
}

func TestCapNotes(t *testing.T) {
	mnist := Config{Data: MNIST}
	if n := capNotes(mnist, EvalConfig{N: 10000, NLLExamples: 64}); len(n) != 0 {
		t.Errorf("within the data: %v", n)
	}
	n := capNotes(mnist, EvalConfig{N: 10_000_000, NLLExamples: 20000})
	if !strings.Contains(n["floor"], "60000 training images") || !strings.Contains(n["nll"], "10000 test images") {
		t.Errorf("capped: %v", n)
	}
	if n := capNotes(Config{Data: "moons"}, EvalConfig{N: 10_000_000}); len(n) != 0 {
		t.Errorf("2-D: %v", n)
	}
}
