package ddpm

import (
	"math"
)

// Spacing names how DDIM picks S of the T steps, with diffusers'
// DDIMScheduler names (its timestep_spacing, steps_offset = 0). Array
// indices, listed from the noisiest:
//
//	SpacingTrailing  round((j+1)·T/S) − 1,      j = S−1 … 0   (starts at T−1, the pure-noise step)
//	SpacingLeading   j·⌊T/S⌋,                   j = S−1 … 0   (ends at 0; Song et al.'s "uniform" skip)
//	SpacingLinspace  round(j·(T−1)/(S−1)),      j = S−1 … 0   (both ends; S = 1 gives 0)
//
// round is half to even, as numpy's. The step after the last one goes to
// ᾱ_prev of [SampleConfig.FinalAlphaBarFirst]; every other step goes to the
// next listed index (diffusers' step() goes to t − ⌊T/S⌋ instead, the same
// for leading spacing and for trailing spacing when S divides T).
type Spacing string

const (
	SpacingTrailing Spacing = "trailing"
	SpacingLeading  Spacing = "leading"
	SpacingLinspace Spacing = "linspace"
)

// The default number of steps of the samplers that skip steps (at most T).
const (
	DefaultDDIMSteps      = 50  // S of DDIM (docs/results.md's MNIST-FD uses it), DPM-Solver++ and Heun
	DefaultLangevinLevels = 100 // noise levels of the Langevin sampler
)

// DefaultSteps is the default Steps of a sampler of kind over T diffusion
// steps: min(DefaultDDIMSteps, T) for DDIM, DPM-Solver++ and Heun,
// min(DefaultLangevinLevels, T) for Langevin, 0 (all T steps) for
// Ancestral — each sampler declares its own. It panics for a kind that is
// not registered ([SampleConfig.Validate] refuses it with an error).
func DefaultSteps(kind SamplerKind, T int) int {
	return mustSampler(kind).defaultSteps(T)
}

// Timesteps returns the array indices t visited by the sampler, in sampling
// order (from the noisiest). Ancestral: T−1, …, 0, or with 0 < Steps < T the
// S indices of c.Spacing; DDIM, DPM-Solver++ and Heun: S indices with
// c.Spacing (see [Spacing]); Langevin: S indices with the trailing spacing.
// It panics for a kind that is not registered (it used to run such a
// kind over all T steps; [SampleConfig.Validate] refuses it with an error).
func (c SampleConfig) Timesteps(T int) []int {
	d := mustSampler(c.Kind)
	c.Kind = d.kind
	if c.Steps == 0 {
		c.Steps = d.defaultSteps(T)
	}
	if d.timesteps != nil {
		return d.timesteps(c, T)
	}
	return spacedTimesteps(c.Steps, c.Spacing, T)
}

// allTimesteps is T−1, …, 0.
func allTimesteps(T int) []int {
	ts := make([]int, T)
	for j := range T {
		ts[T-1-j] = j
	}
	return ts
}

// spacedTimesteps is the n indices of spacing among T, noisiest first (see
// [Spacing]; "" is SpacingTrailing).
func spacedTimesteps(n int, spacing Spacing, T int) []int {
	ts := make([]int, n)
	for j := range n {
		var v int
		switch spacing {
		case SpacingLeading:
			v = j * (T / n)
		case SpacingLinspace:
			// numpy.linspace(0, T−1, S): j·step, the last one exactly T−1.
			if n > 1 {
				v = int(math.RoundToEven(float64(j) * (float64(T-1) / float64(n-1))))
			}
			if j == n-1 {
				v = T - 1
			}
		default:
			v = int(math.RoundToEven(float64(j+1)*float64(T)/float64(n))) - 1
		}
		ts[n-1-j] = v
	}
	return ts
}
