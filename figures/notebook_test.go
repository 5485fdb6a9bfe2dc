package figures

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/gomlx/core/tensors"
)

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// The posterior's three derivations agree, and stay finite where the
// unnormalised densities underflow: index t = 1 with x_0 = −0.7, x_t = 0.2
// made 03_posterior.ipynb print a ratio of +Inf and max |Δ| = NaN.
func TestPosteriorEverywhere(t *testing.T) {
	for _, kind := range ddpm.ScheduleKinds {
		s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{Kind: kind})
		for _, c := range []struct {
			t      int
			x0, xt float64
		}{{99, 0.5, 0.3}, {1, -0.7, 0.2}, {1, -1, 3}, {1, 1, -3}, {500, 0, 0}, {998, -1, 3}, {999, 1, -3}} {
			p, err := NewPosterior(s, c.t, c.x0, c.xt)
			if err != nil {
				t.Fatal(err)
			}
			slip, logZ := p.SlipOnGrid()
			lo := p.Mean - 2*math.Sqrt(p.Variance)
			if !finite(p.A, p.B, p.C, p.Remainder(), p.MaxDiff, slip, logZ, p.LogValue(lo, -1), p.LogValue(lo, +1), p.SlipShift()) {
				t.Fatalf("%s %+v: non-finite numbers: A=%g B=%g C=%g rem=%g maxΔ=%g slip=%g logZ=%g", kind, c, p.A, p.B, p.C, p.Remainder(), p.MaxDiff, slip, logZ)
			}
			if r := math.Abs(1/p.A-p.Variance) / p.Variance; r > 1e-12 {
				t.Errorf("%s %+v: 1/A = %g, β̃_t = %g", kind, c, 1/p.A, p.Variance)
			}
			if d := math.Abs(p.B/p.A - p.Mean); d > 1e-12*(1+math.Abs(p.Mean)) {
				t.Errorf("%s %+v: B/A = %g, μ̃_t = %g", kind, c, p.B/p.A, p.Mean)
			}
			// Rounding of C and B²/A, each of size ≲ max(|C|, B²/A).
			if r := math.Abs(p.Remainder()); r > 1e-9*math.Max(1, math.Abs(p.C)) {
				t.Errorf("%s %+v: remainder %g with C = %g", kind, c, r, p.C)
			}
			if p.MaxDiff > 1e-9*p.Peak() || slip > 1e-9*p.Peak() {
				t.Errorf("%s %+v: max |Δ| %g, notes' normalised %g, peak %g", kind, c, p.MaxDiff, slip, p.Peak())
			}
			want := 0.5*math.Log(2*math.Pi*p.Variance) - p.SlipShift()
			if math.Abs(logZ-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("%s %+v: log of the notes' integral %g, want %g", kind, c, logZ, want)
			}
			for _, x := range []float64{lo, p.Mean, -1, 2} {
				if d := math.Abs(p.Bracket(x, -1) - p.Quadratic(x)); d > 1e-9*math.Max(1, p.Bracket(x, -1)) {
					t.Errorf("%s %+v: bracket %g vs quadratic %g at %g", kind, c, p.Bracket(x, -1), p.Quadratic(x), x)
				}
			}
		}
	}
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{})
	for _, bad := range []int{0, s.T} {
		if _, err := NewPosterior(s, bad, 0, 0); err == nil {
			t.Errorf("index %d accepted", bad)
		}
	}
	if _, err := NewPosterior(s, 5, math.NaN(), 0); err == nil {
		t.Error("NaN x_0 accepted")
	}
}

// The closing remark of 03_posterior.ipynb: with σ² = β the weight of Eq. 12
// on the linear schedule is 0.273 at index 1, falls to 0.00497 at index 348,
// and is 0.0102 at index 999 (β_t/(2 α_t (1−ᾱ_t)) from the reference ᾱ
// values of testdata/REFERENCES.md at 999: 0.02/(2·0.98·(1−4.0358e-5)) = 0.0102).
func TestLWeights(t *testing.T) {
	w := LWeights(ddpm.MustNewSchedule(ddpm.ScheduleConfig{}), ddpm.FixedLarge)
	argmin := 1
	for i := 1; i < len(w); i++ {
		if w[i] < w[argmin] {
			argmin = i
		}
	}
	if !math.IsNaN(w[0]) || math.Abs(w[1]-0.273) > 5e-4 || argmin != 348 || math.Abs(w[348]-0.00497) > 5e-6 || math.Abs(w[999]-0.0102) > 5e-5 {
		t.Errorf("weights: index 1 %.4g, minimum %.4g at %d, index 999 %.4g", w[1], w[argmin], argmin, w[999])
	}
}

func TestHeavyModeAndStationaryVariance(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions([]float64{5, 5, 4, 6, -5, -5, 6, 3}, 4, 2)
	share, mean, variance := HeavyMode(x)
	if share != 0.75 || mean != 5 || math.Abs(variance-2.0/3) > 1e-12 {
		t.Errorf("HeavyMode: %g %g %g", share, mean, variance)
	}
	if _, m, _ := HeavyMode(tensors.FromFlatDataAndDimensions([]float64{-1, -1}, 1, 2)); !math.IsNaN(m) {
		t.Error("no point in the heavy mode: the mean should be NaN")
	}
	if v := StationaryVariance(1, 1); v != 4.0/3 || !math.IsInf(StationaryVariance(1, 4), 1) {
		t.Errorf("StationaryVariance(1, 1) = %g", v)
	}
	if u := UniformStart(1000, 3); u.Shape().Dimensions[0] != 1000 {
		t.Error("UniformStart shape")
	}
}

func decodes(t *testing.T, name string, b []byte, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

// The notebook figures that run graphs, in quick mode.
func TestNotebookFiguresRun(t *testing.T) {
	fc := Config{Backend: backend.Must(), Quick: true, Seed: 1}
	r, err := fc.LangevinChains(0.1, 30, 200)
	if err != nil {
		t.Fatal(err)
	}
	decodes(t, "LangevinChains", r.PNG, nil)
	if r.N != 200 || !(r.Share > 0.3 && r.Share < 0.7) || r.Limit != StationaryVariance(1, 0.1) {
		t.Errorf("LangevinChains: %+v", *r)
	}
	if _, err := fc.LangevinChains(4, 10, 100); err == nil {
		t.Error("δ = 4 accepted (the chain diverges)")
	}
	v, err := fc.NewForwardView(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int{0, 777, 999} {
		b, rows, err := v.At(step)
		decodes(t, "ForwardView", b, err)
		if len(rows) != len(ddpm.ScheduleKinds) || rows[0].AlphaBar != v.Schedules[0].AlphasBar[step] || rows[0].Kind != ddpm.LinearSchedule {
			t.Errorf("ForwardView rows at %d: %+v", step, rows)
		}
	}
	if _, _, err := v.At(1000); err == nil {
		t.Error("index 1000 accepted")
	}
}

func TestChainLabelsAndFrames(t *testing.T) {
	// 3 snapshots of 4 points: x_T, after 500 steps, x_0.
	snaps := tensors.FromFlatDataAndDimensions(make([]float32, 3*4*2), 3, 4, 2)
	c, err := NewChain(recipe.Config{Data: "swissroll"}, ddpm.SampleConfig{Kind: ddpm.Ancestral, SnapshotEvery: 500}, 1000, snaps, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{c.Label(0), c.Label(1), c.Label(2)}; strings.Join(got, "|") != "x_1000 (after 0 of 1000 steps)|x_500 (after 500 of 1000 steps)|x_0 (after 1000 of 1000 steps)" {
		t.Errorf("labels %q", got)
	}
	b, err := c.Strip(0, 2)
	decodes(t, "Strip", b, err)
	if _, err := c.Frame(3); err == nil {
		t.Error("frame 3 of 3 accepted")
	}
	d, err := NewChain(recipe.Config{Data: "swissroll"}, ddpm.SampleConfig{Kind: ddpm.DDIM, Steps: 50, SnapshotEvery: 25}, 1000, snaps, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Label(1); got != "x_500 (after 25 of 50 steps)" {
		t.Errorf("DDIM label %q", got)
	}
	// Each sampler's own count: a respaced ancestral chain of 50 steps was
	// labelled "of 1000 steps"; Heun's 20 steps are 20 iterations (39
	// network calls); Langevin's 100 levels × 10 are 1000 iterations.
	for _, c := range []struct {
		cfg  ddpm.SampleConfig
		want string
	}{
		{ddpm.SampleConfig{Kind: ddpm.Ancestral, Steps: 50, SnapshotEvery: 25}, "x_500 (after 25 of 50 steps)"},
		{ddpm.SampleConfig{Kind: ddpm.Heun, Steps: 20, SnapshotEvery: 10}, "x_500 (after 10 of 20 steps)"},
		{ddpm.SampleConfig{Kind: ddpm.DPMSolverPP2M, Steps: 20, SnapshotEvery: 10}, "x_500 (after 10 of 20 steps)"},
		{ddpm.SampleConfig{Kind: ddpm.Langevin, SnapshotEvery: 500}, "after 500 of 1000 langevin steps"},
	} {
		ch, err := NewChain(recipe.Config{Data: "swissroll"}, c.cfg, 1000, snaps, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := ch.Label(1); got != c.want {
			t.Errorf("%s label %q, want %q", c.cfg.Kind, got, c.want)
		}
	}
	if _, err := NewChain(recipe.Config{Data: "swissroll"}, ddpm.SampleConfig{Kind: "euler", SnapshotEvery: 1}, 1000, snaps, 1); err == nil || !strings.Contains(err.Error(), "not a sampler") {
		t.Errorf("a chain of an unknown sampler: %v", err)
	}
}
