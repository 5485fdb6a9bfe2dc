package ddpm

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// quantizedGauss draws B 2-D points of N(0, 0.25 I), clipped to [−1, 1] and
// rounded to the 256 levels of 8-bit data scaled to [−1, 1].
func quantizedGauss(B int, seed uint64) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0))
	x := make([]float32, 2*B)
	for i := range x {
		v := math.Max(-1, math.Min(1, 0.5*rng.NormFloat64()))
		x[i] = float32(math.Round((v+1)*127.5)/127.5 - 1)
	}
	return tensors.FromFlatDataAndDimensions(x, B, 2)
}

// With Stride 7 the bound is an unbiased estimate of each example's full
// bound (Stride 1): the mean over examples of the paired difference is
// within four of its standard errors of 0, and Prior + Σ Terms = Mean. The
// network is the exact ε of Gaussian data (GaussianDataEps), so no training
// is needed. A learned-variance network's bound (ε̂, then v = 0.5) differs
// from the fixed-variance one: NLLTerm reads its Σ_θ.
func TestNLLStridedIsUnbiased(t *testing.T) {
	backend := testBackend(t)
	s := MustNewSchedule(ScheduleConfig{T: 100, Rescale: true})
	net := GaussianDataEps(s, 0, 0.25)
	x0 := quantizedGauss(256, 1)
	full, err := NLL(backend, model.NewStore(), s, net, NLLConfig{Seed: 3}, x0)
	if err != nil {
		t.Fatal(err)
	}
	seven, err := NLL(backend, model.NewStore(), s, net, NLLConfig{Seed: 3, Stride: 7}, x0)
	if err != nil {
		t.Fatal(err)
	}
	d := make([]float64, len(full.PerExample))
	for i := range d {
		d[i] = seven.PerExample[i] - full.PerExample[i]
	}
	mean, se := meanStdErr(d)
	if math.Abs(mean) > 4*se || se == 0 {
		t.Errorf("stride 7: mean paired difference %.4f ± %.4f bits/dim, want 0 (and a spread > 0)", mean, se)
	}
	for _, r := range []*NLLResult{full, seven} {
		var sum float64
		for _, v := range r.Terms {
			sum += v
		}
		if math.Abs(r.Prior+sum-r.Mean) > 1e-9 {
			t.Errorf("Prior + Σ Terms = %g ≠ Mean %g", r.Prior+sum, r.Mean)
		}
	}
	t.Logf("full bound %.4f ± %.4f; stride 7 %.4f ± %.4f; paired difference %.4f ± %.4f bits/dim", full.Mean, full.StdErr, seven.Mean, seven.StdErr, mean, se)
	if _, err := NLL(backend, model.NewStore(), s, net, NLLConfig{Stride: -1}, x0); err == nil {
		t.Error("stride -1 accepted")
	}
	learned := func(scope *model.Scope, xt, tt *Node) *Node {
		e := net(scope, xt, tt)
		return Concatenate([]*Node{e, AddScalar(ZerosLike(e), 0.5)}, -1)
	}
	l, err := NLL(backend, model.NewStore(), s, learned, NLLConfig{Seed: 3, Variance: Learned}, x0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Mean == full.Mean || math.IsNaN(l.Mean) {
		t.Errorf("learned-variance bound %g equals the fixed-variance one %g", l.Mean, full.Mean)
	}
}

// meanStdErr against values worked by hand: {1, 2, 3, 6} has mean 3, sample
// variance (4+1+0+9)/3 = 14/3, standard error √(14/3/4) = √(7/6).
func TestMeanStdErr(t *testing.T) {
	m, se := meanStdErr([]float64{1, 2, 3, 6})
	if math.Abs(m-3) > 1e-15 || math.Abs(se-math.Sqrt(7.0/6)) > 1e-15 {
		t.Errorf("meanStdErr = %g, %g; want 3, %g", m, se, math.Sqrt(7.0/6))
	}
	if m, se := meanStdErr([]float64{4}); m != 4 || se != 0 {
		t.Errorf("one value: %g, %g; want 4, 0", m, se)
	}
}
