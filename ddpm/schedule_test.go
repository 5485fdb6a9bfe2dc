package ddpm

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// reference.json is written by testdata/reference.py: the same tables
// computed independently in plain float64 Python.
func loadReference(t *testing.T) map[string]map[string][]float64 {
	t.Helper()
	raw, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]map[string][]float64
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(b), 1e-300) || math.Abs(a-b) <= 1e-300
}

func TestScheduleAgainstPythonReference(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	for _, kind := range ScheduleKinds {
		for _, c := range []struct {
			suffix  string
			T       int
			rescale bool
		}{{"_T1000", 1000, false}, {"_T50_rescaled", 50, true}} {
			s := MustNewSchedule(ScheduleConfig{Kind: kind, T: c.T, Rescale: c.rescale})
			want := ref[string(kind)+c.suffix]
			for name, got := range map[string][]float64{
				"betas": s.Betas, "alphas_cumprod": s.AlphasBar, "posterior_variance": s.PosteriorVariance,
				"posterior_mean_coef1": s.PosteriorMeanCoef1, "posterior_mean_coef2": s.PosteriorMeanCoef2,
			} {
				w := want[name]
				// 1e-12 relative, except the cosine schedule: β_t = 1 − f(t)/f(t−1)
				// cancels ~log10(1/β_1) ≈ 4.4 digits, so Go's and Python's cos,
				// which may differ in the last ulp, agree to ~1e-16/4e-5 ≈ 3e-12.
				tol := 1e-12
				if kind == CosineSchedule {
					tol = 1e-10
				}
				if len(w) != len(got) {
					t.Fatalf("%s%s %s: len %d, want %d", kind, c.suffix, name, len(got), len(w))
				}
				for i := range w {
					if !relClose(got[i], w[i], tol) {
						t.Errorf("%s%s %s[%d] = %.17g, want %.17g", kind, c.suffix, name, i, got[i], w[i])
						break
					}
				}
			}
		}
	}
}

func TestScheduleNotesValues(t *testing.T) {
	t.Parallel()
	lin := MustNewSchedule(ScheduleConfig{})
	// testdata/REFERENCES.md, "Schedule values": linear T=1000, 1e-4..0.02, ᾱ at these indices.
	for i, want := range map[int]float64{0: 0.9999, 1: 0.9997800921, 99: 0.8970181457, 249: 0.5240853738,
		499: 0.07858724288, 749: 0.003350550439, 999: 4.035829765e-05} {
		if !relClose(lin.AlphasBar[i], want, 1e-9) {
			t.Errorf("linear ᾱ[%d] = %.12g, want %.12g", i, lin.AlphasBar[i], want)
		}
	}
	// diffusers tests/schedulers/test_scheduler_ddpm.py::test_variance (fixed_small), tolerance 1e-5.
	for i, want := range map[int]float64{0: 0, 487: 0.00979, 999: 0.02} {
		if got := lin.ReverseVariance(FixedSmall)[i]; math.Abs(got-want) > 1e-5 {
			t.Errorf("fixed-small variance[%d] = %g, want %g", i, got, want)
		}
	}
	// diffusers tests/schedulers/test_scheduler_ddim.py::test_variance (η = 1 gives σ²), tolerance 1e-5.
	for _, c := range []struct {
		t, prev int
		want    float64
	}{{420, 400, 0.14771}, {980, 960, 0.32460}, {0, 0, 0}, {487, 486, 0.00979}, {999, 998, 0.02}} {
		sig := lin.DDIMSigma(c.t, c.prev, 1)
		if math.Abs(sig*sig-c.want) > 1e-5 {
			t.Errorf("DDIM variance(%d, %d) = %g, want %g", c.t, c.prev, sig*sig, c.want)
		}
	}
	// Nichol & Dhariwal cosine, s = 0.008, clipped at 0.999 (testdata/REFERENCES.md).
	cos := MustNewSchedule(ScheduleConfig{Kind: CosineSchedule})
	for i, want := range map[int]float64{0: 4.128422e-05, 1: 4.614175e-05, 999: 0.999} {
		if !relClose(cos.Betas[i], want, 1e-6) {
			t.Errorf("cosine β[%d] = %.10g, want %.10g", i, cos.Betas[i], want)
		}
	}
}

func TestScheduleIdentities(t *testing.T) {
	t.Parallel()
	for _, kind := range ScheduleKinds {
		for _, T := range []int{1, 2, 10, 1000} {
			s := MustNewSchedule(ScheduleConfig{Kind: kind, T: T, Rescale: T < 1000 && kind != CosineSchedule && T >= 20})
			prod := 1.0
			for i := range s.T {
				prod *= s.Alphas[i]
				if !relClose(s.AlphasBar[i], prod, 1e-13) { // ᾱ_t = ∏_{s≤t} α_s
					t.Fatalf("%s T=%d: ᾱ[%d] = %g, ∏α = %g", kind, T, i, s.AlphasBar[i], prod)
				}
				if s.PosteriorVariance[i] > s.Betas[i] { // β̃_t ≤ β_t since ᾱ_{t−1} ≥ ᾱ_t
					t.Errorf("%s T=%d: β̃[%d] = %g > β = %g", kind, T, i, s.PosteriorVariance[i], s.Betas[i])
				}
				if i > 0 && !(s.SNR[i] < s.SNR[i-1]) {
					t.Errorf("%s T=%d: SNR not strictly decreasing at %d", kind, T, i)
				}
				if math.IsInf(s.PosteriorLogVarClipped[i], 0) || math.IsNaN(s.PosteriorLogVarClipped[i]) {
					t.Errorf("%s T=%d: clipped log β̃[%d] not finite", kind, T, i)
				}
				// μ̃ coefficients: coef1·√ᾱ_t + coef2·... — the posterior mean of x_t's own mean is consistent:
				// E[μ̃] under q(x_t|x_0) = √ᾱ_{t−1} x_0 (the law of x_{t−1}|x_0), i.e. coef1 + coef2·√ᾱ_t = √ᾱ_{t−1}.
				if got := s.PosteriorMeanCoef1[i] + s.PosteriorMeanCoef2[i]*s.SqrtAlphasBar[i]; !relClose(got, math.Sqrt(s.AlphasBarPrev[i]), 1e-12) {
					t.Errorf("%s T=%d: coef1 + coef2·√ᾱ_t = %g, want √ᾱ_{t−1} = %g", kind, T, got, math.Sqrt(s.AlphasBarPrev[i]))
				}
			}
			if s.PosteriorVariance[0] != 0 {
				t.Errorf("%s T=%d: β̃_1 = %g, want 0", kind, T, s.PosteriorVariance[0])
			}
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg  ScheduleConfig
		want string
	}{
		{ScheduleConfig{T: -3}, "T = -3 must lie in [1, 100000]"},
		{ScheduleConfig{T: MaxT + 1}, "T = 100001 must lie in [1, 100000]"}, // T = 2e7 took 9 GB before MaxT
		{ScheduleConfig{Kind: "warp"}, "Kind = warp is not a schedule: use one of linear, cosine, quadratic, sigmoid"},
		{ScheduleConfig{BetaEnd: 1.5}, "BetaEnd = 1.5 must lie in (0, 1)"},
		{ScheduleConfig{BetaStart: -1e-4}, "BetaStart = -0.0001 must lie in (0, 1)"},
		{ScheduleConfig{T: 10, BetaEnd: 0.2, Rescale: true}, "BetaEnd = 20 must lie in (0, 1) for the linear schedule after rescaling by 1000/T=100"},
		{ScheduleConfig{Kind: CosineSchedule, MaxBeta: 1}, "MaxBeta=1 is out of range"},
	} {
		_, err := NewSchedule(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewSchedule(%+v) error = %v, want it to contain %q", c.cfg, err, c.want)
		}
	}
	if _, err := ScheduleFromBetas([]float64{0.1, 0, 0.2}); err == nil || !strings.Contains(err.Error(), "index 1 (paper step t=2)") {
		t.Errorf("ScheduleFromBetas with β=0: error %v", err)
	}
	if _, err := ScheduleFromBetas(nil); err == nil {
		t.Error("ScheduleFromBetas(nil) should fail")
	}
}
