package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// MMDConfig configures MMD. Zero values take the defaults given.
type MMDConfig struct {
	// Bandwidth h of the kernel k(x, y) = exp(−‖x−y‖²/(2h²)); 0 (default)
	// chooses it by the median heuristic (see MedianBandwidth).
	Bandwidth float64
	// MedianPoints caps the number of points of the pooled sample used by the
	// median heuristic (a fixed random subset of them, seeded by Seed when
	// there are more); default 2048, i.e. ≈ 2.1 M pairwise distances.
	MedianPoints int
	// Seed seeds that subset (PCG(Seed, 1)); default 0.
	Seed uint64
}

// MMDResult is the outcome of MMD.
type MMDResult struct {
	MMD2      float64 // unbiased estimate of MMD², may be slightly negative
	MMD       float64 // √max(MMD², 0)
	Bandwidth float64 // h used
}

// MMD estimates the maximum mean discrepancy (Gretton et al. 2012) between
// the distributions of the point sets x [m, d] and y [n, d] (row-major) with
// the Gaussian (RBF) kernel k(x, y) = exp(−‖x−y‖²/(2h²)), by the unbiased
// U-statistic of their Lemma 6,
//
//	MMD²_u = 1/(m(m−1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n−1)) Σ_{i≠j} k(y_i, y_j) − 2/(mn) Σ_{i,j} k(x_i, y_j),
//
// whose expectation is MMD² = E k(x, x') + E k(y, y') − 2 E k(x, y) exactly.
// Being unbiased it can be negative when the distributions are close; the
// reported MMD is √max(MMD²_u, 0). The cost is O((m+n)² d). It needs m, n ≥ 2.
func MMD(x, y []float32, d int, cfg MMDConfig) (MMDResult, error) {
	m, n, err := pointCounts(x, y, d)
	if err != nil {
		return MMDResult{}, fmt.Errorf("metrics: MMD: %w", err)
	}
	if m < 2 || n < 2 {
		return MMDResult{}, fmt.Errorf("metrics: MMD needs at least 2 points per set, got %d and %d", m, n)
	}
	h := cfg.Bandwidth
	if h < 0 || math.IsNaN(h) || math.IsInf(h, 0) {
		return MMDResult{}, fmt.Errorf("metrics: MMD bandwidth %g must be > 0 (or 0 for the median heuristic)", h)
	}
	if h == 0 {
		h = MedianBandwidth(x, y, d, cfg)
		if h == 0 {
			return MMDResult{}, fmt.Errorf("metrics: MMD: the median pairwise distance is 0 (most points coincide); give a bandwidth")
		}
	}
	gamma := 1 / (2 * h * h)
	kxx := kernelSum(x, x, d, gamma, true)
	kyy := kernelSum(y, y, d, gamma, true)
	kxy := kernelSum(x, y, d, gamma, false)
	fm, fn := float64(m), float64(n)
	mmd2 := kxx/(fm*(fm-1)) + kyy/(fn*(fn-1)) - 2*kxy/(fm*fn)
	return MMDResult{MMD2: mmd2, MMD: math.Sqrt(max(mmd2, 0)), Bandwidth: h}, nil
}

// kernelSum is Σ_{i,j} exp(−γ‖a_i − b_j‖²), over i ≠ j when same (a = b, each
// unordered pair counted twice).
func kernelSum(a, b []float32, d int, gamma float64, same bool) float64 {
	na, nb := len(a)/d, len(b)/d
	var total float64
	for i := range na {
		ai := a[i*d : (i+1)*d]
		var row float64
		j0 := 0
		if same {
			j0 = i + 1
		}
		for j := j0; j < nb; j++ {
			row += math.Exp(-gamma * sqDist(ai, b[j*d:(j+1)*d]))
		}
		total += row
	}
	if same {
		total *= 2
	}
	return total
}

func sqDist(a, b []float32) float64 {
	var s float64
	for k := range a {
		v := float64(a[k]) - float64(b[k])
		s += v * v
	}
	return s
}

// MedianBandwidth is the median heuristic (Gretton et al. 2012, §8; Schölkopf
// & Smola 2002): h = the median of the distances ‖z_i − z_j‖, i < j, between
// the points of the pooled sample z = x ∪ y. When the pooled sample has more
// than cfg.MedianPoints points (default 2048), the median is taken over a
// fixed random subset of that many, drawn with PCG(cfg.Seed, 1). Returns 0 if
// the median is 0.
func MedianBandwidth(x, y []float32, d int, cfg MMDConfig) float64 {
	limit := cfg.MedianPoints
	if limit == 0 {
		limit = 2048
	}
	pool := slices.Concat(x, y)
	n := len(pool) / d
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if n > limit {
		rng := rand.New(rand.NewPCG(cfg.Seed, 1))
		rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:limit]
		n = limit
	}
	dist := make([]float64, 0, n*(n-1)/2)
	for a := range n {
		pa := pool[idx[a]*d : (idx[a]+1)*d]
		for b := a + 1; b < n; b++ {
			dist = append(dist, sqDist(pa, pool[idx[b]*d:(idx[b]+1)*d]))
		}
	}
	if len(dist) == 0 {
		return 0
	}
	slices.Sort(dist) // squared distances: same order as the distances
	k := len(dist)
	med := math.Sqrt(dist[k/2])
	if k%2 == 0 {
		med = (math.Sqrt(dist[k/2-1]) + med) / 2
	}
	return med
}
