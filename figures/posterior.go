package figures

import (
	"fmt"
	"math"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
)

// Posterior is q(x_{t−1}|x_t, x_0) for one scalar coordinate at array index
// T (paper step T+1), found three ways: completing the square in the
// exponent of Bayes' rule, Eq. 7 as package ddpm computes it
// (Schedule.Posterior1D), and Bayes' rule evaluated on a grid
// (Schedule.BayesPosterior1D). 03_posterior.ipynb shows it, its knobs redraw
// it, and [PosteriorBayes] draws it for docs/results.md.
//
// By Bayes' rule and Eq. 2 and 4 the posterior is ∝ exp(−½ [bracket]) with
//
//	bracket = (x_t − √α_t x)²/β_t + (x − √ᾱ_{t−1} x_0)²/(1−ᾱ_{t−1}) − (x_t − √ᾱ_t x_0)²/(1−ᾱ_t)
//	        = A x² − 2B x + C,  x = x_{t−1},
//	A = α_t/β_t + 1/(1−ᾱ_{t−1}),  B = √α_t x_t/β_t + √ᾱ_{t−1} x_0/(1−ᾱ_{t−1}),
//	C = x_t²/β_t + ᾱ_{t−1} x_0²/(1−ᾱ_{t−1}) − (x_t − √ᾱ_t x_0)²/(1−ᾱ_t),
//
// so that A(x − B/A)² + (C − B²/A): variance 1/A = β̃_t, mean B/A = μ̃_t,
// remainder C − B²/A = 0. Everything that could overflow or underflow
// (the unnormalised densities far from the mean) is computed in log space,
// so that every finite T, x_0, x_t gives finite numbers.
type Posterior struct {
	Schedule *ddpm.Schedule
	T        int     // array index, 1 ≤ T ≤ Schedule.T−1
	X0, Xt   float64 // the clean and the noisy value

	Alpha, Beta, AlphaBarPrev, AlphaBar float64 // α_t, β_t, ᾱ_{t−1}, ᾱ_t

	A, B, C        float64         // the bracket as A x² − 2B x + C
	Mean, Variance float64         // μ̃_t and β̃_t of Eq. 7 (Schedule.Posterior1D)
	Grid           *ddpm.BayesGrid // Bayes' rule on 2001 points over μ̃_t ± 8 √β̃_t
	Closed         []float64       // N(x; μ̃_t, β̃_t) at Grid.X
	MaxDiff        float64         // max |Closed − Grid.Density|
}

// NewPosterior computes the posterior at array index t (1 ≤ t ≤ T−1: at
// paper step 1 the posterior is a point mass) for x_0 and x_t.
func NewPosterior(s *ddpm.Schedule, t int, x0, xt float64) (*Posterior, error) {
	if s == nil {
		return nil, fmt.Errorf("figures: posterior of a nil schedule (ddpm.NewSchedule makes one)")
	}
	if t < 1 || t >= s.T {
		return nil, fmt.Errorf("figures: posterior at index t=%d: it must lie in [1, %d] (paper steps 2 … %d)", t, s.T-1, s.T)
	}
	if math.IsNaN(x0) || math.IsInf(x0, 0) || math.IsNaN(xt) || math.IsInf(xt, 0) {
		return nil, fmt.Errorf("figures: posterior for x_0=%g, x_t=%g: both must be finite", x0, xt)
	}
	p := &Posterior{Schedule: s, T: t, X0: x0, Xt: xt,
		Alpha: s.Alphas[t], Beta: s.Betas[t], AlphaBarPrev: s.AlphasBarPrev[t], AlphaBar: s.AlphasBar[t]}
	p.A = p.Alpha/p.Beta + 1/(1-p.AlphaBarPrev)
	p.B = math.Sqrt(p.Alpha)*xt/p.Beta + math.Sqrt(p.AlphaBarPrev)*x0/(1-p.AlphaBarPrev)
	p.C = xt*xt/p.Beta + p.AlphaBarPrev*x0*x0/(1-p.AlphaBarPrev) - p.SlipShift()
	p.Mean, p.Variance = s.Posterior1D(t, x0, xt)
	sd := math.Sqrt(p.Variance)
	grid, err := s.BayesPosterior1D(t, x0, xt, p.Mean-8*sd, p.Mean+8*sd, 2001)
	if err != nil {
		return nil, err
	}
	p.Grid, p.Closed = grid, make([]float64, len(grid.X))
	for i, x := range grid.X {
		p.Closed[i] = math.Exp(p.LogClosed(x))
		p.MaxDiff = math.Max(p.MaxDiff, math.Abs(p.Closed[i]-grid.Density[i]))
	}
	return p, nil
}

// Bracket is the bracket of the exponent at x_{t−1} = x: sign = −1 divides
// by q(x_t|x_0) (Bayes' rule), sign = +1 multiplies by it (the notes' slip).
func (p *Posterior) Bracket(x, sign float64) float64 {
	a := p.Xt - math.Sqrt(p.Alpha)*x
	b := x - math.Sqrt(p.AlphaBarPrev)*p.X0
	return a*a/p.Beta + b*b/(1-p.AlphaBarPrev) + sign*p.SlipShift()
}

// Quadratic is A x² − 2B x + C.
func (p *Posterior) Quadratic(x float64) float64 { return p.A*x*x - 2*p.B*x + p.C }

// Remainder is C − B²/A, zero up to rounding.
func (p *Posterior) Remainder() float64 { return p.C - p.B*p.B/p.A }

// SlipShift is (x_t − √ᾱ_t x_0)²/(1−ᾱ_t), the term of the bracket that does
// not depend on x_{t−1}: the notes' sign slip adds twice it to the bracket,
// which multiplies the unnormalised density by exp(−SlipShift).
func (p *Posterior) SlipShift() float64 {
	d := p.Xt - math.Sqrt(p.AlphaBar)*p.X0
	return d * d / (1 - p.AlphaBar)
}

// LogNorm is log (2π β̃_t)^{−½}, the log of the normaliser that the three
// Gaussians' constants combine into.
func (p *Posterior) LogNorm() float64 { return -0.5 * math.Log(2*math.Pi*p.Variance) }

// Peak is the closed form's largest density, (2π β̃_t)^{−½}.
func (p *Posterior) Peak() float64 { return math.Exp(p.LogNorm()) }

// LogClosed is log N(x; μ̃_t, β̃_t).
func (p *Posterior) LogClosed(x float64) float64 {
	return p.LogNorm() - (x-p.Mean)*(x-p.Mean)/(2*p.Variance)
}

// LogValue is log of (2π β̃_t)^{−½} exp(−½ bracket(x, sign)): with sign −1
// the posterior's log density at x, with +1 what the notes' exponent gives.
func (p *Posterior) LogValue(x, sign float64) float64 { return p.LogNorm() - p.Bracket(x, sign)/2 }

// SlipOnGrid normalises the notes' exponent, exp(−½ bracket(x, +1)), on the
// grid by the trapezoid rule (in log space) and returns its largest
// difference from Bayes' rule on the grid and the log of its integral, which
// is log √(2π β̃_t) − SlipShift.
func (p *Posterior) SlipOnGrid() (maxDiff, logIntegral float64) {
	xs := p.Grid.X
	h := xs[1] - xs[0]
	logW := make([]float64, len(xs))
	m := math.Inf(-1)
	for i, x := range xs {
		logW[i] = -p.Bracket(x, +1) / 2
		m = math.Max(m, logW[i])
	}
	z := 0.0
	for i := range xs {
		w := h
		if i == 0 || i == len(xs)-1 {
			w = h / 2
		}
		z += w * math.Exp(logW[i]-m)
	}
	logIntegral = m + math.Log(z)
	for i := range xs {
		maxDiff = math.Max(maxDiff, math.Abs(math.Exp(logW[i]-logIntegral)-p.Grid.Density[i]))
	}
	return maxDiff, logIntegral
}

// PNG draws Bayes' rule on the grid against the closed form, with their
// largest difference in the title.
func (p *Posterior) PNG() ([]byte, error) {
	return figs.Lines(figs.Options{Title: fmt.Sprintf("q(x_{t−1} | x_t = %g, x_0 = %g), %s, paper t = %d: max |Δ| = %.1e", p.Xt, p.X0, p.Schedule.Kind, p.T+1, p.MaxDiff),
		XLabel: "x_{t−1}", YLabel: "density", Height: 300},
		figs.Series{Name: "Bayes' rule on a grid", X: p.Grid.X, Y: p.Grid.Density},
		figs.Series{Name: "closed form (Eq. 7)", X: p.Grid.X, Y: p.Closed})
}

// PosteriorBayes draws q(x_{t−1}|x_t, x_0) at paper step t = 100 of the
// linear schedule for x_0 = 0.5, x_t = 0.3: Eq. 7's Gaussian against Bayes'
// rule evaluated on a grid (Schedule.BayesPosterior1D), with both curves'
// largest difference in the title.
func PosteriorBayes() ([]byte, error) {
	s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{})
	if err != nil {
		return nil, err
	}
	p, err := NewPosterior(s, 99, 0.5, 0.3) // array index 99: paper step 100
	if err != nil {
		return nil, err
	}
	return p.PNG()
}

// LWeights returns the weight of Eq. 12 at every array index t,
//
//	L_{t−1} − C = β_t² / (2σ_t² α_t (1−ᾱ_t)) · ‖ε − ε_θ‖²,
//
// with σ_t² from s.ReverseVariance(kind) (β_t for FixedLarge, Ho et al.'s
// choice). Index 0 (paper step 1) is the decoder term L_0, not a KL: its
// entry is NaN.
func LWeights(s *ddpm.Schedule, kind ddpm.VarianceKind) []float64 {
	sigma2 := s.ReverseVariance(kind)
	w := make([]float64, s.T)
	w[0] = math.NaN()
	for t := 1; t < s.T; t++ {
		w[t] = s.Betas[t] * s.Betas[t] / (2 * sigma2[t] * s.Alphas[t] * (1 - s.AlphasBar[t]))
	}
	return w
}
