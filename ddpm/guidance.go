package ddpm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Classifier-free guidance, Ho & Salimans (2022, "Classifier-Free Diffusion
// Guidance"). One network learns both the class-conditional ε_θ(x_t, c) and
// the unconditional ε_θ(x_t, ∅): in training the label is replaced by the
// null label ∅ with probability p_uncond (their Algorithm 1, p_uncond = 0.1
// here as in their experiments). Sampling follows
//
//	ε̃_θ(x_t, c) = (1 + w) ε_θ(x_t, c) − w ε_θ(x_t, ∅)          (their Eq. 6)
//
// w = 0 is the conditional model, w > 0 trades diversity for fidelity to c.
// The combination is applied to the network's output whatever it predicts:
// x̂_0 and v̂ are affine in ε̂ at fixed x_t, so combining them is combining ε̂.

// CondNet is a class-conditional network: xt [B, …], t [B] int32 array
// indices and y [B] int32 labels in [0, numClasses], numClasses being the
// null label ∅ (see [NullLabel]) → the network's output.
type CondNet func(scope *model.Scope, xt, t, y *Node) *Node

// NullLabel is the label index of ∅ for a network of numClasses classes:
// labels 0 … numClasses−1 are the classes, numClasses is "no label".
func NullLabel(numClasses int) int32 { return int32(numClasses) }

// DefaultPUncond is p_uncond, the probability of training on ∅ (Ho &
// Salimans trained with 0.1 and 0.2).
const DefaultPUncond = 0.1

// GuidedOutput is Ho & Salimans' Eq. 6 on two network outputs:
// (1 + w)·cond − w·uncond.
func GuidedOutput(cond, uncond *Node, w float64) *Node {
	return Sub(MulScalar(cond, 1+w), MulScalar(uncond, w))
}

// MaxGuidance is the largest guidance weight w for which 1 + w is a finite
// float32, the dtype of the networks and of Eq. 6's arithmetic: a larger w
// (1e300, say) becomes +Inf in the graph and every sample NaN. Useful
// weights are below 10.
const MaxGuidance = math.MaxFloat32

// Guided is net guided towards labels with weight w (Eq. 6) as a plain
// [Net], for samplers: labels holds one label per example of the batch the
// net will be called with, or a single label for all. w = 0 evaluates the
// conditional network only. Guidance applies at every step; see
// [GuidedWithin] for guidance limited to an interval of noise levels.
func Guided(net CondNet, numClasses int, labels []int32, w float64) (Net, error) {
	return GuidedWithin(net, numClasses, labels, w, nil)
}

// GuidedWithin is [Guided] with guidance only at the array indices t where
// on[t] is true (len(on) = T, see [GuidanceInterval.Mask]); elsewhere the
// network is the conditional one alone (w = 0 there). on = nil guides at
// every step. The per-step weight w·on[t] is a float64 host table cast to
// the network's dtype when the graph is built, and Eq. 6 is applied with it:
// (1 + w_t)·cond − w_t·uncond.
func GuidedWithin(net CondNet, numClasses int, labels []int32, w float64, on []bool) (Net, error) {
	if len(labels) == 0 {
		return nil, fmt.Errorf("ddpm: Guided needs at least one label")
	}
	for _, y := range labels {
		if y < 0 || int(y) > numClasses {
			return nil, fmt.Errorf("ddpm: label %d out of range: classes are 0…%d, %d is the null label", y, numClasses-1, numClasses)
		}
	}
	if !(w >= 0) || math.IsInf(w, 1) {
		return nil, fmt.Errorf("ddpm: guidance weight w=%g must be a finite number ≥ 0", w)
	}
	if w > MaxGuidance {
		return nil, fmt.Errorf("ddpm: guidance weight w=%g: 1 + w overflows float32, the networks' dtype: use w ≤ %.3g", w, MaxGuidance)
	}
	var wt []float64 // w at each array index t; nil: w everywhere
	if on != nil {
		wt = make([]float64, len(on))
		some := false
		for i, o := range on {
			if o {
				wt[i], some = w, true
			}
		}
		if !some {
			w = 0 // guidance nowhere: the conditional network alone
		}
	}
	return func(scope *model.Scope, xt, t *Node) *Node {
		g := xt.Graph()
		B := xt.Shape().Dimensions[0]
		var y *Node
		switch len(labels) {
		case 1:
			y = BroadcastToShape(Const(g, labels[0]), shapes.Make(dtypes.Int32, B))
		case B:
			y = Const(g, labels)
		default:
			panicf("ddpm.Guided: %d labels for a batch of %d", len(labels), B)
		}
		if w == 0 {
			return net(scope, xt, t, y)
		}
		// One call on the doubled batch [x; x] with labels [y; ∅] rather
		// than two calls (not timed against two calls).
		null := BroadcastToShape(Const(g, NullLabel(numClasses)), shapes.Make(dtypes.Int32, B))
		out := net(scope, Concatenate([]*Node{xt, xt}, 0), Concatenate([]*Node{t, t}, 0), Concatenate([]*Node{y, null}, 0))
		cond, uncond := Slice(out, AxisRange(0, B)), Slice(out, AxisRange(B, 2*B))
		if wt == nil {
			return GuidedOutput(cond, uncond, w)
		}
		wb := coef(wt, t, cond) // [B, 1, …] or a scalar
		return Add(cond, Mul(wb, Sub(cond, uncond)))
	}, nil
}

// GuidanceInterval limits classifier-free guidance to the noise levels
// Lo < σ_t ≤ Hi (Kynkäänniemi et al. 2024, "Applying Guidance in a Limited
// Interval Improves Sample and Distribution Quality in Diffusion Models",
// §3: guidance at high noise levels collapses diversity, at low ones it
// does little; outside the interval the denoiser is the conditional one).
// σ_t is the noise level of the variance-exploding view of step t,
// σ_t = √((1 − ᾱ_t)/ᾱ_t) (Karras et al. 2022, Table 1, VP column: x_t/√ᾱ_t
// = x_0 + σ_t ε), so the interval means the same on every schedule. The zero
// value guides at every step. (Their weight w_K is ours plus one: w_K = 1
// is no guidance.)
type GuidanceInterval struct {
	Lo, Hi float64
}

// IsZero reports whether iv is the zero value: guidance at every step.
func (iv GuidanceInterval) IsZero() bool { return iv.Lo == 0 && iv.Hi == 0 }

// Validate checks 0 ≤ Lo < Hi (Hi may be +Inf); the zero value is valid.
func (iv GuidanceInterval) Validate() error {
	if iv.IsZero() {
		return nil
	}
	if !(iv.Lo >= 0) || math.IsInf(iv.Lo, 0) || !(iv.Hi > iv.Lo) {
		return fmt.Errorf("ddpm: guidance interval %s: need 0 ≤ σ_lo < σ_hi (σ_hi may be inf)", iv)
	}
	return nil
}

// Sigmas is σ_t = √((1 − ᾱ_t)/ᾱ_t) at every array index t of s.
func Sigmas(s *Schedule) []float64 {
	out := make([]float64, s.T)
	for i, ab := range s.AlphasBar {
		out[i] = math.Sqrt((1 - ab) / ab)
	}
	return out
}

// Mask is true at the array indices t of s whose σ_t lies in (Lo, Hi]; nil
// for the zero interval (every step).
func (iv GuidanceInterval) Mask(s *Schedule) []bool {
	if iv.IsZero() {
		return nil
	}
	on := make([]bool, s.T)
	for i, sg := range Sigmas(s) {
		on[i] = sg > iv.Lo && sg <= iv.Hi
	}
	return on
}

// String is "lo,hi" (hi "inf" when unbounded), the form [GuidanceInterval.UnmarshalText] reads.
func (iv GuidanceInterval) String() string {
	if iv.IsZero() {
		return ""
	}
	return strconv.FormatFloat(iv.Lo, 'g', -1, 64) + "," + strconv.FormatFloat(iv.Hi, 'g', -1, 64)
}

// MarshalText is [GuidanceInterval.String].
func (iv GuidanceInterval) MarshalText() ([]byte, error) { return []byte(iv.String()), nil }

// UnmarshalText reads "lo,hi" (σ bounds; hi may be "inf"), or "all" for
// every step (the zero value), checked by
// [GuidanceInterval.Validate].
func (iv *GuidanceInterval) UnmarshalText(b []byte) error {
	if strings.TrimSpace(string(b)) == "all" { // every step: the zero value
		*iv = GuidanceInterval{}
		return nil
	}
	lo, hi, ok := strings.Cut(string(b), ",")
	if !ok {
		return fmt.Errorf("want σ_lo,σ_hi (for example 0.3,5 or 1,inf) or all")
	}
	var v GuidanceInterval
	var err1, err2 error
	v.Lo, err1 = strconv.ParseFloat(strings.TrimSpace(lo), 64)
	v.Hi, err2 = strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("want σ_lo,σ_hi as two numbers (for example 0.3,5 or 1,inf)")
	}
	if v.IsZero() || v.Validate() != nil {
		return fmt.Errorf("want 0 ≤ σ_lo < σ_hi (σ_hi may be inf)")
	}
	*iv = v
	return nil
}

// dropLabels replaces each label by ∅ with probability p (Ho & Salimans
// Algorithm 1, line 3), drawing from scope's RNG. y [B] int32 → [B].
func dropLabels(scope *model.Scope, y *Node, numClasses int, p float64) *Node {
	g := y.Graph()
	u := scope.RandomUniform(g, shapes.Make(dtypes.Float32, y.Shape().Dimensions[0]))
	drop := LessThan(u, Const(g, float32(p)))
	return StopGradient(Where(drop, BroadcastToShape(Const(g, NullLabel(numClasses)), y.Shape()), y))
}
