package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gaussKernelMean is E k(x, y) for x ~ N(μ1, s1² I), y ~ N(μ2, s2² I) in D
// dimensions and k = exp(−‖x−y‖²/(2h²)): x − y ~ N(μ1−μ2, (s1²+s2²) I), and
// the Gaussian integral gives (closed form)
//
//	E k = (h²/(h²+s1²+s2²))^{D/2} exp(−‖μ1−μ2‖²/(2(h²+s1²+s2²))).
func gaussKernelMean(mu1, mu2 []float64, s1, s2, h float64) float64 {
	v := h*h + s1*s1 + s2*s2
	var d2 float64
	for i := range mu1 {
		d2 += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i])
	}
	return math.Pow(h*h/v, float64(len(mu1))/2) * math.Exp(-d2/(2*v))
}

// meanSD returns the mean of v and its standard error.
func meanSD(v []float64) (mean, se float64) {
	for _, x := range v {
		mean += x / float64(len(v))
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1) / float64(len(v)))
}

// The U-statistic is unbiased: over R independent replicates its mean must
// match the closed-form MMD² = E k(x,x') + E k(y,y') − 2 E k(x,y) within four
// standard errors of the replicates (and be ≈ 0 for equal distributions).
func TestMMDGaussiansClosedForm(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	const R, n, h = 20, 300, 1.3
	cases := []struct {
		name     string
		mu1, mu2 []float64
		s1, s2   float64
	}{
		{"shift and scale 2-D", []float64{0, 0}, []float64{1, 0.5}, 1, 1.5},
		{"shift 5-D", []float64{0, 0, 0, 0, 0}, []float64{0.5, 0, 0, 0, 0}, 1, 1},
		{"equal 2-D", []float64{0, 0}, []float64{0, 0}, 1, 1},
	}
	for _, c := range cases {
		want := gaussKernelMean(c.mu1, c.mu1, c.s1, c.s1, h) + gaussKernelMean(c.mu2, c.mu2, c.s2, c.s2, h) -
			2*gaussKernelMean(c.mu1, c.mu2, c.s1, c.s2, h)
		var reps []float64
		d := len(c.mu1)
		for range R {
			x, y := gauss(rng, n, c.mu1, c.s1), gauss(rng, n, c.mu2, c.s2)
			r, err := MMD(x, y, d, MMDConfig{Bandwidth: h})
			if err != nil {
				t.Fatal(err)
			}
			reps = append(reps, r.MMD2)
		}
		mean, se := meanSD(reps)
		if math.Abs(mean-want) > 4*se {
			t.Errorf("%s: mean MMD² = %.5f ± %.5f, closed form %.5f", c.name, mean, se, want)
		}
		t.Logf("%s: mean MMD² over %d×(%d vs %d) = %.5f ± %.5f; closed form %.5f", c.name, R, n, n, mean, se, want)
	}
}

// For x, x' ~ N(0, s² I) in 2-D, ‖x−x'‖²/(2s²) ~ χ²₂ whose median is 2 ln 2,
// so the median distance is 2s√(ln 2) (closed form). The median heuristic on
// a pooled sample of one Gaussian must find it within four standard errors of
// R replicates.
func TestMedianBandwidthGaussian(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 14))
	const s = 1.7
	var reps []float64
	for range 10 {
		x, y := gauss(rng, 300, []float64{0, 0}, s), gauss(rng, 300, []float64{0, 0}, s)
		reps = append(reps, MedianBandwidth(x, y, 2, MMDConfig{}))
	}
	mean, se := meanSD(reps)
	want := 2 * s * math.Sqrt(math.Ln2)
	if math.Abs(mean-want) > 4*se+1e-3 {
		t.Errorf("median distance %.4f ± %.4f, closed form %.4f", mean, se, want)
	}
	t.Logf("median heuristic h = %.4f ± %.4f; closed form 2s√ln2 = %.4f", mean, se, want)
}

// Identities: MMD is symmetric; with the median heuristic the bandwidth is the
// pooled one (the same both ways); and a common translation changes nothing.
func TestMMDIdentities(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 16))
	x, y := gauss(rng, 200, []float64{0, 0}, 1), gauss(rng, 150, []float64{1, 1}, 1)
	a, _ := MMD(x, y, 2, MMDConfig{})
	b, _ := MMD(y, x, 2, MMDConfig{})
	if math.Abs(a.MMD2-b.MMD2) > 1e-12 || a.Bandwidth != b.Bandwidth {
		t.Errorf("not symmetric: %+v vs %+v", a, b)
	}
	if a.MMD != math.Sqrt(max(a.MMD2, 0)) || a.MMD2 <= 0 {
		t.Errorf("MMD %g from MMD² %g", a.MMD, a.MMD2)
	}
	shift := func(v []float32) []float32 {
		out := make([]float32, len(v))
		for i := range v {
			out[i] = v[i] + 0.5
		}
		return out
	}
	c, _ := MMD(shift(x), shift(y), 2, MMDConfig{Bandwidth: a.Bandwidth})
	if math.Abs(c.MMD2-a.MMD2) > 1e-6 {
		t.Errorf("translated: %g vs %g", c.MMD2, a.MMD2)
	}
	if _, err := MMD(x[:2], y, 2, MMDConfig{}); err == nil {
		t.Error("one point per set was accepted")
	}
	if _, err := MMD(x, y, 2, MMDConfig{Bandwidth: -1}); err == nil {
		t.Error("a negative bandwidth was accepted")
	}
}
