package ddpm

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
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
// conditional network only.
func Guided(net CondNet, numClasses int, labels []int32, w float64) (Net, error) {
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
		return GuidedOutput(Slice(out, AxisRange(0, B)), Slice(out, AxisRange(B, 2*B)), w)
	}, nil
}

// dropLabels replaces each label by ∅ with probability p (Ho & Salimans
// Algorithm 1, line 3), drawing from scope's RNG. y [B] int32 → [B].
func dropLabels(scope *model.Scope, y *Node, numClasses int, p float64) *Node {
	g := y.Graph()
	u := scope.RandomUniform(g, shapes.Make(dtypes.Float32, y.Shape().Dimensions[0]))
	drop := LessThan(u, Const(g, float32(p)))
	return StopGradient(Where(drop, BroadcastToShape(Const(g, NullLabel(numClasses)), y.Shape()), y))
}
