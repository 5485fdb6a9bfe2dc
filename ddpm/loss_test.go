package ddpm

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The closed-form Gaussian KL against a Monte-Carlo estimate E_{p1}[log p1 − log p2].
func TestNormalKLMatchesMonteCarlo(t *testing.T) {
	t.Parallel()
	cases := [][4]float64{{0, 0, 0, 0}, {0.3, math.Log(0.5), -0.2, math.Log(2)}, {1, math.Log(1e-3), 0.9, math.Log(2e-3)}}
	var m1, l1, m2, l2 []float64
	for _, c := range cases {
		m1, l1, m2, l2 = append(m1, c[0]), append(l1, c[1]), append(m2, c[2]), append(l2, c[3])
	}
	got := flat64(run1(t, func(a, b, c, d *Node) *Node { return NormalKL(a, b, c, d) },
		tensors.FromValue(m1), tensors.FromValue(l1), tensors.FromValue(m2), tensors.FromValue(l2)))
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 200000
	for i, c := range cases {
		var sum, sum2 float64
		for range n {
			x := c[0] + math.Exp(c[1]/2)*rng.NormFloat64()
			r := logNormal(x, c[0], math.Exp(c[1])) - logNormal(x, c[2], math.Exp(c[3]))
			sum += r
			sum2 += r * r
		}
		mc := sum / n
		se := math.Sqrt((sum2/n - mc*mc) / n)
		if math.Abs(got[i]-mc) > 5*se+1e-12 {
			t.Errorf("case %d: KL %.6f, Monte Carlo %.6f ± %.6f", i, got[i], mc, se)
		}
	}
}

// The discretised decoder of Eq. 13: probabilities of the 256 bins sum to 1
// and each interior bin is Φ(upper) − Φ(lower) (math.Erf in float64).
func TestDiscretizedGaussianIsADistribution(t *testing.T) {
	t.Parallel()
	xs := make([]float64, 256)
	for i := range xs {
		xs[i] = float64(i)/127.5 - 1
	}
	for _, c := range [][2]float64{{0.1, math.Log(0.05)}, {-0.97, math.Log(0.3)}, {0.5, math.Log(0.002)}} {
		lp := flat64(run1(t, func(x, m, ls *Node) *Node { return DiscretizedGaussianLogLikelihood(x, m, ls) },
			tensors.FromValue(xs), tensors.FromValue(c[0]), tensors.FromValue(c[1])))
		sum := 0.0
		sd := math.Exp(c[1])
		phi := func(z float64) float64 { return 0.5 * (1 + math.Erf(z/math.Sqrt2)) }
		for i, l := range lp {
			p := math.Exp(l)
			sum += p
			if i > 0 && i < 255 {
				want := phi((xs[i]+1.0/255-c[0])/sd) - phi((xs[i]-1.0/255-c[0])/sd)
				if want > 1e-10 && math.Abs(p-want) > 1e-9*math.Max(want, 1e-3) {
					t.Errorf("mean %g: bin %d p=%g, want %g", c[0], i, p, want)
				}
			}
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("mean %g sd %g: bins sum to %.12f", c[0], sd, sum)
		}
	}
}

func TestLSimpleTargets(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	x0 := []float64{0.5, -0.2, 0.9, -1}
	eps := []float64{1, -0.5, 0.3, 2}
	ts := []int32{0, 10, 500, 999}
	for _, pred := range []Prediction{PredictEps, PredictX0, PredictV} {
		outs := flat64s(runN(t, func(x0, eps, tt *Node) []*Node {
			var target *Node
			switch pred {
			case PredictEps:
				target = eps
			case PredictX0:
				target = x0
			default:
				target = VTarget(s, x0, eps, tt)
			}
			xt := QSample(s, x0, tt, eps)
			// Zero at the right target; the mean square of a unit offset is 1.
			// And every target, read back through PredToX0Eps, recovers x_0 and ε.
			rx0, reps := PredToX0Eps(s, pred, target, xt, tt, 0)
			return []*Node{LSimple(s, pred, target, x0, eps, tt), LSimple(s, pred, AddScalar(target, 1), x0, eps, tt),
				ReduceAllMax(Abs(Sub(rx0, x0))), ReduceAllMax(Abs(Sub(reps, eps)))}
		}, tensors.FromValue(x0), tensors.FromValue(eps), tensors.FromValue(ts)))
		// Recovering ε from x_0 divides by √(1−ᾱ_1) = 0.01: 1e-13 absolute.
		if outs[0] != 0 || math.Abs(outs[1]-1) > 1e-15 || outs[2] > 1e-12 || outs[3] > 1e-11 {
			t.Errorf("%v: L(target)=%g L(target+1)=%g max|x̂0−x0|=%g max|ε̂−ε|=%g", pred, outs[0], outs[1], outs[2], outs[3])
		}
	}
}

func flat64s(ts []*tensors.Tensor) []float64 {
	out := make([]float64, len(ts))
	for i, t := range ts {
		out[i] = tensors.ToScalar[float64](t)
	}
	return out
}

// One VLB term in the graph against float64 arithmetic: the KL of Eq. 5 at
// t ≥ 2 between N(μ̃, β̃) and N(μ_θ, σ²), and the decoder at t = 1.
func TestVLBTermMatchesFloat64(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	x0 := []float64{-1, 0.2, 1} // one example of 3 dims, each on the 8-bit grid? 0.2 is not; fine for the KL
	xt := []float64{-0.8, 0.5, 0.7}
	out := []float64{0.3, -0.1, 0.4} // a network's ε output
	for _, step := range []int32{0, 1, 300} {
		got := flat64(run1(t, func(x0, xt, out, tt *Node) *Node {
			r := func(n *Node) *Node { return Reshape(n, 1, 3) }
			return VLBTermBPD(s, FixedLarge, PredictEps, r(out), r(x0), r(xt), Reshape(tt, 1), 0)
		}, tensors.FromValue(x0), tensors.FromValue(xt), tensors.FromValue(out), tensors.FromValue(step)))
		want := 0.0
		k := int(step)
		sig2 := s.ReverseVariance(FixedLarge)[k]
		for d := range 3 {
			mu := (xt[d] - s.Betas[k]/math.Sqrt(1-s.AlphasBar[k])*out[d]) / math.Sqrt(1-s.Betas[k]) // Eq. 11
			if k == 0 {
				phi := func(z float64) float64 { return 0.5 * (1 + math.Erf(z/math.Sqrt2)) }
				sd := math.Sqrt(sig2)
				var p float64
				switch {
				case x0[d] <= -0.999:
					p = phi((x0[d] + 1.0/255 - mu) / sd)
				case x0[d] >= 0.999:
					p = 1 - phi((x0[d]-1.0/255-mu)/sd)
				default:
					p = phi((x0[d]+1.0/255-mu)/sd) - phi((x0[d]-1.0/255-mu)/sd)
				}
				want += -math.Log(math.Max(p, 1e-12)) / 3 / math.Ln2
				continue
			}
			tm, tv := s.Posterior1D(k, x0[d], xt[d])
			want += 0.5 * (math.Log(sig2/tv) + tv/sig2 + (tm-mu)*(tm-mu)/sig2 - 1) / 3 / math.Ln2
		}
		if math.Abs(got[0]-want) > 1e-9*(1+math.Abs(want)) {
			t.Errorf("t=%d: VLB term %.12g bits/dim, float64 %.12g", step, got[0], want)
		}
	}
}

// The full bound on discretised Gaussian data with the exactly optimal ε:
// it must upper-bound the exact NLL of the discretised data (computed with
// math.Erf), up to Monte-Carlo error, and stay within 0.25 bits/dim of it.
func TestNLLBoundsExactNLLOfGaussianData(t *testing.T) {
	t.Parallel()
	const m, v, B = 0.1, 0.09, 512
	s := MustNewSchedule(ScheduleConfig{})
	rng := rand.New(rand.NewPCG(9, 10))
	x0 := make([]float32, B)
	exact := make([]float64, B)
	phi := func(z float64) float64 { return 0.5 * (1 + math.Erf(z/math.Sqrt2)) }
	for i := range x0 {
		k := math.Round((m + math.Sqrt(v)*rng.NormFloat64() + 1) * 127.5)
		k = math.Max(0, math.Min(255, k))
		x := k/127.5 - 1
		x0[i] = float32(x)
		lo, hi := phi((x-1.0/255-m)/math.Sqrt(v)), phi((x+1.0/255-m)/math.Sqrt(v))
		if k == 0 {
			lo = 0
		}
		if k == 255 {
			hi = 1
		}
		exact[i] = -math.Log2(hi - lo)
	}
	res, err := NLL(testBackend(t), model.NewStore(), s, GaussianDataEps(s, m, v), NLLConfig{Seed: 1},
		tensors.FromFlatDataAndDimensions(x0, B, 1))
	if err != nil {
		t.Fatal(err)
	}
	diff := make([]float64, B)
	for i := range diff {
		diff[i] = res.PerExample[i] - exact[i]
	}
	dm, dv := moments(diff)
	em, _ := moments(exact)
	t.Logf("VLB %.4f ± %.4f bits/dim, exact NLL %.4f; prior %.2e, decoder %.4f", res.Mean, res.StdErr, em, res.Prior, res.Terms[0])
	if dm < -mcTol(4, dv, B) || dm > 0.25 {
		t.Errorf("VLB − exact NLL = %.4f ± %.4f bits/dim, want ≥ 0 and ≤ 0.25", dm, math.Sqrt(dv/B))
	}
}
