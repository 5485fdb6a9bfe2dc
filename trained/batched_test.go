package trained

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/hostmem"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/gomlx/core/tensors"
)

// SampleMany in one batch draws exactly SampleGuided's samples; in several
// it draws batch k from seed + 2k (the evaluation's convention) and reports
// its progress with the time left.
func TestSampleManyBatches(t *testing.T) {
	backend := backendpkg.Must()
	m, err := Load("testdata/tiny-weights.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	sc := m.SampleConfig(ddpm.DDIM)
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

// SampleEach hands each batch to its consumer as it ends, with the index of
// its first example; a smaller first batch (FirstBatch) keeps the seeds
// seed, seed + 2, … of the batches, so that n ≤ FirstBatch draws what one
// batch draws; the consumer's error stops the sampling.
func TestSampleEachStreamsBatches(t *testing.T) {
	backend := backendpkg.Must()
	m, err := Load("testdata/tiny-weights.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	sc := m.SampleConfig(ddpm.DDIM)
	sc.Steps = 4
	var froms, sizes []int
	var got []float32
	err = m.SampleEach(backend, sc, Guidance{}, 25, 3, SampleOptions{Batch: 10, FirstBatch: 4}, func(x []float32, from int) error {
		froms, sizes = append(froms, from), append(sizes, len(x)/2)
		got = append(got, x...)
		return nil
	})
	if err != nil || !reflect.DeepEqual(froms, []int{0, 4, 14, 24}) || !reflect.DeepEqual(sizes, []int{4, 10, 10, 1}) {
		t.Fatalf("batches from %v of %v (%v)", froms, sizes, err)
	}
	first, _, _ := m.Sample(backend, sc, 4, 3)
	second, _, _ := m.Sample(backend, sc, 10, 3+2)
	if !reflect.DeepEqual(got[:8], tensors.MustCopyFlatData[float32](first)) || !reflect.DeepEqual(got[8:28], tensors.MustCopyFlatData[float32](second)) {
		t.Error("the first batches are not the samples of seed and seed + 2")
	}
	few, err := m.SampleMany(backend, sc, Guidance{}, 4, 3, SampleOptions{Batch: 10, FirstBatch: 100})
	if err != nil || !reflect.DeepEqual(tensors.MustCopyFlatData[float32](few), tensors.MustCopyFlatData[float32](first)) {
		t.Errorf("n ≤ FirstBatch differs from one batch (%v)", err)
	}
	calls := 0
	stop := errors.New("disk full")
	if err := m.SampleEach(backend, sc, Guidance{}, 25, 3, SampleOptions{Batch: 10}, func([]float32, int) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("consumer's error: %v after %d calls", err, calls)
	}
}

// Sampling is sized before it starts: with 1 MiB available, a PNG of 10¹³
// points (7.2e14 bytes at 72 each: SampleMemory) is refused with the
// estimate, one of 1,000 points is not.
func TestSampleSizedBeforeItStarts(t *testing.T) {
	saved := hostmem.Available
	t.Cleanup(func() { hostmem.Available = saved })
	hostmem.Available = func() (int64, string, bool) { return 1 << 20, "a test", true }
	toy, err := recipe.Config{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if short := MemoryShort(SampleMemory(toy, 1e13)); !strings.Contains(short, "about 654.8 TiB of memory, more than the 1.0 MiB") {
		t.Errorf("a PNG of 10¹³ points: %q", short)
	}
	if short := MemoryShort(SampleMemory(toy, 1000)); short != "" {
		t.Errorf("1,000 points: %q", short)
	}
}

// Batched sampling keeps the guidance's interval of noise levels: guided
// at no level (σ in (10⁶, 10⁷], above every σ_t of the schedule) it draws
// the conditional model's samples (w = 0), not those of w guided at every
// step. (SampleMany built each batch's sampler from the labels and w only.)
func TestSampleManyKeepsGuidanceInterval(t *testing.T) {
	backend := backendpkg.Must()
	m, err := Load("../weights/mnist_cond.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	sc := m.SampleConfig(ddpm.DDIM)
	sc.Steps = 2
	draw := func(g Guidance) []float32 {
		x, err := m.SampleMany(backend, sc, g, 2, 5, SampleOptions{Batch: 1})
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](x)
	}
	labels := []int32{3, 7}
	plain := draw(Guidance{Labels: labels})
	guided := draw(Guidance{Labels: labels, W: 3})
	nowhere := draw(Guidance{Labels: labels, W: 3, Interval: ddpm.GuidanceInterval{Lo: 1e6, Hi: 1e7}})
	if reflect.DeepEqual(plain, guided) {
		t.Fatal("w = 3 drew the conditional model's samples: the test cannot tell")
	}
	if !reflect.DeepEqual(nowhere, plain) {
		t.Error("guidance limited to no noise level differs from w = 0: the interval was dropped")
	}
}
