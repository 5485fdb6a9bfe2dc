package ddpm

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// DDIM's timesteps against diffusers' DDIMScheduler.set_timesteps
// (steps_offset = 0), evaluated with numpy 2.4:
//
//	linspace  np.linspace(0, T-1, S).round()[::-1]
//	leading   (np.arange(0, S) * (T // S)).round()[::-1]
//	trailing  np.round(np.arange(T, 0, -T / S)) - 1
//
// (T=10, S=4 has ties: numpy rounds half to even, so trailing is 9 7 4 1.)
func TestTimestepsSpacings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		T, S       int
		spacing    Spacing
		head, tail []int
	}{
		{1000, 50, SpacingLinspace, []int{999, 979, 958, 938, 917, 897}, []int{61, 41, 20, 0}},
		{1000, 50, SpacingLeading, []int{980, 960, 940, 920, 900, 880}, []int{60, 40, 20, 0}},
		{1000, 50, SpacingTrailing, []int{999, 979, 959, 939, 919, 899}, []int{79, 59, 39, 19}},
		{1000, 30, SpacingLinspace, []int{999, 965, 930, 896, 861, 827}, []int{103, 69, 34, 0}},
		{1000, 30, SpacingLeading, []int{957, 924, 891, 858, 825, 792}, []int{99, 66, 33, 0}},
		{1000, 30, SpacingTrailing, []int{999, 966, 932, 899, 866, 832}, []int{132, 99, 66, 32}},
		{10, 4, SpacingLinspace, []int{9, 6, 3, 0}, nil},
		{10, 4, SpacingLeading, []int{6, 4, 2, 0}, nil},
		{10, 4, SpacingTrailing, []int{9, 7, 4, 1}, nil},
		{7, 3, SpacingLinspace, []int{6, 3, 0}, nil},
		{7, 3, SpacingLeading, []int{4, 2, 0}, nil},
		{7, 3, SpacingTrailing, []int{6, 4, 1}, nil},
	} {
		got := SampleConfig{Kind: DDIM, Steps: c.S, Spacing: c.spacing}.Timesteps(c.T)
		if len(got) != c.S || !slices.Equal(got[:len(c.head)], c.head) || !slices.Equal(got[len(got)-len(c.tail):], c.tail) {
			t.Errorf("T=%d S=%d %s: %v, want %v … %v", c.T, c.S, c.spacing, got, c.head, c.tail)
		}
		for i := 1; i < len(got); i++ {
			if got[i] >= got[i-1] {
				t.Errorf("T=%d S=%d %s: not strictly decreasing: %v", c.T, c.S, c.spacing, got)
			}
		}
	}
	if got := (SampleConfig{Kind: DDIM}).Timesteps(1000); !slices.Equal(got, SampleConfig{Kind: DDIM, Steps: 50, Spacing: SpacingTrailing}.Timesteps(1000)) {
		t.Errorf("default spacing is not trailing S=50: %v", got)
	}
	if err := (SampleConfig{Kind: DDIM, Spacing: "uniform"}).Validate(1000); err == nil {
		t.Error(`spacing "uniform" accepted`)
	}
}

// DDIM's end point and clipping conventions on a network that predicts
// ε̂ = −x_t/2, against float64 arithmetic of DDIM Eq. 12 (η = 0):
// x_prev = √ᾱ_prev x̂_0 + √(1−ᾱ_prev) ε̂ with x̂_0 = clip((x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t)
// and ε̂ either kept (diffusers) or re-derived from the clipped x̂_0 (the
// default). (With ε̂ = 0 the two clipping conventions agree exactly: a value
// clipped once stays at the clip; ε̂ = −x_t/2 pulls it back inside.)
func TestDDIMConventions(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 10})
	net := func(_ *model.Scope, xt, _ *Node) *Node { return MulScalar(xt, -0.5) }
	backend := testBackend(t)
	xs := []float64{-3, -0.5, 0.2, 2.5}
	xT := tensors.FromFlatDataAndDimensions([]float64{-3, -0.5, 0.2, 2.5}, 4, 1)
	ref := func(cfg SampleConfig, x float64) float64 {
		ts := cfg.Timesteps(s.T)
		for j, t := range ts {
			ab, abPrev := s.AlphasBar[t], 1.0
			if j+1 < len(ts) {
				abPrev = s.AlphasBar[ts[j+1]]
			} else if cfg.FinalAlphaBarFirst {
				abPrev = s.AlphasBar[0]
			}
			eps := -0.5 * x
			x0 := (x - math.Sqrt(1-ab)*eps) / math.Sqrt(ab)
			if c := cfg.ClipX0; c > 0 && math.Abs(x0) > c {
				x0 = math.Copysign(c, x0)
				if !cfg.RawEpsDirection {
					eps = (x - math.Sqrt(ab)*x0) / math.Sqrt(1-ab)
				}
			}
			x = math.Sqrt(abPrev)*x0 + math.Sqrt(1-abPrev)*eps
		}
		return x
	}
	results := map[string][]float64{}
	for _, c := range []struct {
		name string
		cfg  SampleConfig
	}{
		{"trailing", SampleConfig{Kind: DDIM, Steps: 3}},
		{"leading", SampleConfig{Kind: DDIM, Steps: 3, Spacing: SpacingLeading}},
		{"linspace", SampleConfig{Kind: DDIM, Steps: 3, Spacing: SpacingLinspace}},
		{"final ᾱ_0", SampleConfig{Kind: DDIM, Steps: 3, FinalAlphaBarFirst: true}},
		{"clip", SampleConfig{Kind: DDIM, Steps: 3, ClipX0: 1}},
		{"clip raw ε", SampleConfig{Kind: DDIM, Steps: 3, ClipX0: 1, RawEpsDirection: true}},
	} {
		sm, err := NewSampler(backend, model.NewStore(), s, net, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		x0, _, err := sm.Sample(xT, 1)
		if err != nil {
			t.Fatal(err)
		}
		got := flat64(x0)
		for i, x := range xs {
			if want := ref(sm.Config, x); math.Abs(got[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: x_T = %g → %g, want %g", c.name, x, got[i], want)
			}
		}
		results[c.name] = got
	}
	// The options change the result (the reference alone would not show that
	// the option was read).
	for _, pair := range [][2]string{{"trailing", "final ᾱ_0"}, {"clip", "clip raw ε"}, {"trailing", "leading"}, {"trailing", "linspace"}} {
		if slices.Equal(results[pair[0]], results[pair[1]]) {
			t.Errorf("%s and %s give the same samples %v", pair[0], pair[1], results[pair[0]])
		}
	}
}
