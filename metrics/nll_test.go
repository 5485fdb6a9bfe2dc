package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/gomlx/core/graph"
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

// With stride 1 NLLStrided is ddpm.NLL (same terms, same noise): equal to
// float rounding. With stride 7 it is an unbiased estimate of each example's
// bound: the mean over examples of the paired difference (strided − full)
// is within four of its standard errors of 0. The network is the exact ε of
// Gaussian data (ddpm.GaussianDataEps), so no training is needed.
func TestNLLStridedMatchesFullBound(t *testing.T) {
	backend := ddpm.MustBackend()
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{T: 100, Rescale: true})
	net := ddpm.GaussianDataEps(s, 0, 0.25)
	cfg := ddpm.NLLConfig{Seed: 3}
	x0 := quantizedGauss(256, 1)
	full, err := ddpm.NLL(backend, model.NewStore(), s, net, cfg, x0)
	if err != nil {
		t.Fatal(err)
	}
	one, err := NLLStrided(backend, model.NewStore(), s, net, cfg, x0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range full.PerExample {
		if math.Abs(one.PerExample[i]-full.PerExample[i]) > 1e-9*(1+math.Abs(full.PerExample[i])) {
			t.Fatalf("stride 1, example %d: %.12g vs ddpm.NLL %.12g", i, one.PerExample[i], full.PerExample[i])
		}
	}
	seven, err := NLLStrided(backend, model.NewStore(), s, net, cfg, x0, 7)
	if err != nil {
		t.Fatal(err)
	}
	d := make([]float64, len(full.PerExample))
	for i := range d {
		d[i] = seven.PerExample[i] - full.PerExample[i]
	}
	mean, se := meanSD(d)
	if math.Abs(mean) > 4*se {
		t.Errorf("stride 7: mean paired difference %.4f ± %.4f bits/dim, want 0", mean, se)
	}
	var sum float64
	for _, v := range seven.Terms {
		sum += v
	}
	if math.Abs(seven.Prior+sum-seven.Mean) > 1e-9 {
		t.Errorf("Prior + Σ Terms = %g ≠ Mean %g", seven.Prior+sum, seven.Mean)
	}
	t.Logf("full bound %.4f ± %.4f; stride 7 %.4f ± %.4f; paired difference %.4f ± %.4f bits/dim",
		full.Mean, full.StdErr, seven.Mean, seven.StdErr, mean, se)
	if _, err := NLLStrided(backend, model.NewStore(), s, net, cfg, x0, 0); err == nil {
		t.Error("stride 0 accepted")
	}

	// A learned-variance network (ε̂, then v = 0.5 for every dimension): the
	// stride-1 bound is ddpm.NLL's at the network's Σ_θ.
	learned := func(scope *model.Scope, xt, tt *graph.Node) *graph.Node {
		e := net(scope, xt, tt)
		return graph.Concatenate([]*graph.Node{e, graph.AddScalar(graph.ZerosLike(e), 0.5)}, -1)
	}
	lcfg := ddpm.NLLConfig{Seed: 3, Variance: ddpm.Learned}
	lfull, err := ddpm.NLL(backend, model.NewStore(), s, learned, lcfg, x0)
	if err != nil {
		t.Fatal(err)
	}
	lone, err := NLLStrided(backend, model.NewStore(), s, learned, lcfg, x0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lone.Mean-lfull.Mean) > 1e-9*(1+math.Abs(lfull.Mean)) || lone.Mean == full.Mean {
		t.Errorf("learned variance, stride 1: %.12g vs ddpm.NLL %.12g (fixed-variance bound %.12g)", lone.Mean, lfull.Mean, full.Mean)
	}
}
