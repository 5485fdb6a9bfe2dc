package ddpm

import (
	"math"
	"testing"

	"github.com/ddpm-go/ddpm-go/backend"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// describeBackend names a backend in test logs (package backend, which
// ddpm's own code does not import: it takes a compute.Backend).
var describeBackend = backend.Describe

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// moments returns the mean and (population) variance of x.
func moments(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x))
}

// mcTol is k standard errors of the mean of n draws with variance v.
func mcTol(k, v float64, n int) float64 { return k * math.Sqrt(v/float64(n)) }

// varTol is k standard errors of a Gaussian sample variance: sd ≈ v √(2/(n−1)).
func varTol(k, v float64, n int) float64 { return k * v * math.Sqrt(2/float64(n-1)) }

func flat32(t *tensors.Tensor) []float64 {
	d := tensors.MustCopyFlatData[float32](t)
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = float64(v)
	}
	return out
}

func flat64(t *tensors.Tensor) []float64 { return tensors.MustCopyFlatData[float64](t) }

// run1 and runN execute a graph function once and fail the test on error.
func run1[F ExecGraphFnOneOutput](t testing.TB, fn F, args ...any) *tensors.Tensor {
	t.Helper()
	out, err := CallOnce(testBackend(t), fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runN[F ExecGraphFn](t testing.TB, fn F, args ...any) []*tensors.Tensor {
	t.Helper()
	out, err := CallOnceN(testBackend(t), fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// matchesFloat64Reference runs the sampler kind in the graph (float64) with
// the exact ε of data N(0.5, 0.25) from the x_T of testXT, for S = 1, 2, 7
// and S = 20 on the linspace and leading spacings, against ref, the
// sampler written out in float64 on the host (same timesteps, final step to
// the clean data): agreement to 1e-10 relative.
func matchesFloat64Reference(t *testing.T, kind SamplerKind, ref func(s *Schedule, m, v float64, ts []int, toClean bool, xT float64) float64) {
	t.Helper()
	const m, v = 0.5, 0.25
	s := MustNewSchedule(ScheduleConfig{})
	net := GaussianDataEps(s, m, v)
	for _, cfg := range []SampleConfig{
		{Kind: kind, Steps: 1}, {Kind: kind, Steps: 2}, {Kind: kind, Steps: 7},
		{Kind: kind, Steps: 20, Spacing: SpacingLinspace}, {Kind: kind, Steps: 20, Spacing: SpacingLeading},
	} {
		sm, err := NewSampler(testBackend(t), model.NewStore(), s, net, cfg)
		if err != nil {
			t.Fatal(err)
		}
		x0, _, err := sm.Sample(tensors.FromFlatDataAndDimensions(testXT, len(testXT), 1), 1)
		if err != nil {
			t.Fatal(err)
		}
		ts := cfg.Timesteps(s.T)
		for i, got := range flat64(x0) {
			if want := ref(s, m, v, ts, true, testXT[i]); math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
				t.Errorf("%+v: x_T = %g → %.15g, reference %.15g", cfg, testXT[i], got, want)
			}
		}
	}
}
