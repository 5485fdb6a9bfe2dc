package ddpm

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
)

// Prediction says what the network's output stands for.
type Prediction int

const (
	// PredictEps: the network predicts the noise ε (Ho et al. §3.2, Eq. 11),
	// the parameterisation used for L_simple.
	PredictEps Prediction = iota
	// PredictX0: the network predicts x_0 directly (Ho et al. §3.2 mention it
	// and found it worse).
	PredictX0
	// PredictV: the network predicts v = √ᾱ_t ε − √(1−ᾱ_t) x_0
	// (Salimans & Ho 2022, §4).
	PredictV
)

func (p Prediction) String() string {
	switch p {
	case PredictEps:
		return "eps"
	case PredictX0:
		return "x0"
	case PredictV:
		return "v"
	}
	return fmt.Sprintf("Prediction(%d)", int(p))
}

// MarshalText writes p as "eps", "x0" or "v" (in JSON configurations and flags).
func (p Prediction) MarshalText() ([]byte, error) {
	if _, err := ParsePrediction(p.String()); err != nil {
		return nil, err
	}
	return []byte(p.String()), nil
}

// UnmarshalText reads "eps", "x0" or "v" (see [ParsePrediction]).
func (p *Prediction) UnmarshalText(b []byte) error {
	q, err := ParsePrediction(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// ParsePrediction maps "eps", "x0" or "v" to a [Prediction].
func ParsePrediction(name string) (Prediction, error) {
	for _, p := range []Prediction{PredictEps, PredictX0, PredictV} {
		if p.String() == name {
			return p, nil
		}
	}
	return 0, fmt.Errorf("ddpm: unknown prediction %q: use eps, x0 or v", name)
}

// X0FromEps inverts Eq. 4 for x_0 given the noise:
//
//	x̂_0 = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t = x_t/√ᾱ_t − √(1/ᾱ_t − 1) ε.
func X0FromEps(s *Schedule, xt, eps, t *Node) *Node {
	return Sub(Mul(coef(s.SqrtRecipAlphasBar, t, xt), xt), Mul(coef(s.SqrtRecipM1AlphasBar, t, xt), eps))
}

// EpsFromX0 inverts Eq. 4 for the noise given x_0: ε = (x_t − √ᾱ_t x_0)/√(1−ᾱ_t).
func EpsFromX0(s *Schedule, xt, x0, t *Node) *Node {
	return Div(Sub(xt, Mul(coef(s.SqrtAlphasBar, t, xt), x0)), coef(s.SqrtOneMinusAlphasBar, t, xt))
}

// VTarget is v = √ᾱ_t ε − √(1−ᾱ_t) x_0 (Salimans & Ho 2022), the regression
// target of [PredictV].
func VTarget(s *Schedule, x0, eps, t *Node) *Node {
	return Sub(Mul(coef(s.SqrtAlphasBar, t, x0), eps), Mul(coef(s.SqrtOneMinusAlphasBar, t, x0), x0))
}

// PredToX0Eps converts a network output of kind pred into (x̂_0, ε̂). With v:
// x̂_0 = √ᾱ_t x_t − √(1−ᾱ_t) v and ε̂ = √(1−ᾱ_t) x_t + √ᾱ_t v.
// clip ≤ 0 leaves x̂_0 as is; clip > 0 clips x̂_0 to [−clip, clip] (Ho et
// al.'s code clips to [−1, 1] for images) and recomputes ε̂ from the clipped
// x̂_0 so that the two stay consistent.
func PredToX0Eps(s *Schedule, pred Prediction, out, xt, t *Node, clip float64) (x0, eps *Node) {
	switch pred {
	case PredictEps:
		eps = out
		x0 = X0FromEps(s, xt, eps, t)
	case PredictX0:
		x0 = out
		eps = EpsFromX0(s, xt, x0, t)
	case PredictV:
		a, b := coef(s.SqrtAlphasBar, t, xt), coef(s.SqrtOneMinusAlphasBar, t, xt)
		x0 = Sub(Mul(a, xt), Mul(b, out))
		eps = Add(Mul(b, xt), Mul(a, out))
	default:
		panicf("ddpm: unknown prediction %v", pred)
	}
	if clip > 0 {
		x0 = ClipScalar(x0, -clip, clip)
		eps = EpsFromX0(s, xt, x0, t)
	}
	return x0, eps
}

// ReverseMean is the mean of p_θ(x_{t−1}|x_t) (Ho et al. Eq. 1 with §3.2's
// choice): μ_θ(x_t, t) = μ̃_t(x_t, x̂_0) (Eq. 7) with x̂_0 from the network.
// For ε-prediction without clipping it equals Eq. 11,
// μ_θ = 1/√α_t (x_t − β_t/√(1−ᾱ_t) ε_θ).
func ReverseMean(s *Schedule, pred Prediction, out, xt, t *Node, clip float64) (mean, x0 *Node) {
	x0, _ = PredToX0Eps(s, pred, out, xt, t, clip)
	return PosteriorMeanFromX0(s, xt, x0, t), x0
}

// ReverseVarianceNode is σ_t² of p_θ(x_{t−1}|x_t) for a fixed variance kind
// (see [Schedule.ReverseVariance]), shaped to broadcast against like.
func ReverseVarianceNode(s *Schedule, kind VarianceKind, t, like *Node) (variance, logVariance *Node) {
	return coef(s.ReverseVariance(kind), t, like), coef(s.ReverseLogVariance(kind), t, like)
}
