package trained

import "github.com/ddpm-go/ddpm-go/ddpm"

// Guidance chooses the labels of a class-conditional model's samples and
// the classifier-free guidance weight w (Ho & Salimans 2022, see
// ddpm.Guided).
type Guidance struct {
	// Labels holds one label per example of each sampled batch, or one label
	// for all; nil samples the unconditional model (the null label).
	Labels []int32
	// W ≥ 0 is the guidance weight; 0 is the conditional model alone.
	W float64
	// Interval limits guidance to the noise levels σ_lo < σ_t ≤ σ_hi
	// (ddpm.GuidanceInterval); the zero value guides at every step.
	Interval ddpm.GuidanceInterval
}

// GuidanceOptions are a sampling command's choice of labels and guidance
// (sample -label, -guidance, -unconditional).
type GuidanceOptions struct {
	// Label ≥ 0 is every sample's label; -1 (or a zero GuidanceOptions of an
	// unconditional model) gives the labels 0, 1, …, k−1, 0, … in turn.
	Label int `flag:"label" usage:"class-conditional weights: the label of every sample (default: labels 0, 1, …, k−1, 0, … in turn)"`
	// W is the guidance weight w ≥ 0 (0: the conditional model alone).
	W float64 `flag:"guidance" usage:"class-conditional weights: classifier-free guidance weight w ≥ 0 (Ho & Salimans Eq. 6; 0: the conditional model; default: the weight file's own, its provenance's \"guidance\", else 0)"`
	// Interval limits guidance to an interval of noise levels
	// (ddpm.GuidanceInterval; zero: every step).
	Interval ddpm.GuidanceInterval `flag:"guidance-interval" usage:"with -guidance: guide only at the noise levels σ_lo < σ_t ≤ σ_hi, given as σ_lo,σ_hi (hi may be inf; Kynkäänniemi et al. 2024), or all for every step; default: the weight file's own, its provenance's \"guidance_interval\", else every step"`
	// Unconditional samples a class-conditional model at the null label.
	Unconditional bool `flag:"unconditional" usage:"class-conditional weights: sample the unconditional model (the null label)"`
}

// BalancedLabels are n labels 0, 1, …, k−1, 0, 1, …: the evaluation's and
// the sample grids' labels for a model of k classes.
func BalancedLabels(n, k int) []int32 {
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(i % k)
	}
	return y
}
