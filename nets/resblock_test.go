package nets

import (
	"fmt"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// A new ResBlock (conv2 zero, as Ho et al.'s init_scale=0) is the identity
// when Cin = out, and the 1×1 skip convolution otherwise; parameter counts
// match resBlockParams.
func TestResBlockInitAndCount(t *testing.T) {
	const B, H, T = 2, 6, 12
	xT, x := randTensor(41, B, H, H, 8)
	tembT, _ := randTensor(42, B, T)
	for _, out := range []int{8, 16} {
		t.Run(fmt.Sprintf("8to%d", out), func(t *testing.T) {
			store := model.NewStore()
			outs := callN(t, store, func(scope *model.Scope, x, temb *Node) []*Node {
				y := ResBlock(scope.At("rb"), x, temb, out, BlockOptions{Groups: 4})
				if out == 8 {
					return []*Node{y, y}
				}
				return []*Node{y, Conv2D(scope.At("rb").At("skip"), x, out, 1, 1, ConvAuto)}
			}, xT, tembT)
			checkDims(t, "ResBlock", outs[0], B, H, H, out)
			y, want := values(t, outs[0]), values(t, outs[1])
			if out == 8 {
				want = x
			}
			if d := maxAbsDiff(y, want); d != 0 {
				t.Errorf("new ResBlock 8→%d: max |y − skip(x)| = %g, want 0", out, d)
			}
			if n, want := store.Scope("/rb").NumParameters(), resBlockParams(8, out, T); n != want {
				t.Errorf("ResBlock 8→%d has %d parameters, want %d", out, n, want)
			}
		})
	}
}

// With dropout, in training mode, the gradient of every variable builds and
// runs, and two draws differ (dropout is active); outside training it is off.
func TestResBlockDropout(t *testing.T) {
	xT, _ := randTensor(43, 2, 4, 4, 4)
	tembT, _ := randTensor(44, 2, 8)
	opt := BlockOptions{Groups: 2, Dropout: 0.5}
	store := model.NewStore()
	twoPasses := func(training bool) []*tensors.Tensor {
		return callN(t, store, func(scope *model.Scope, x, temb *Node) []*Node {
			store.SetTraining(x.Graph(), training)
			sc := scope.At("rb")
			y1 := ResBlock(sc, x, temb, 4, opt)
			y2 := ResBlock(sc, x, temb, 4, opt)
			grads := scope.BuildTrainableVariablesGradientsGraph(ReduceAllSum(Square(y1)))
			return append([]*Node{y1, y2}, grads...)
		}, xT, tembT)
	}
	outs := twoPasses(false)
	if d := maxAbsDiff(values(t, outs[0]), values(t, outs[1])); d != 0 {
		t.Errorf("outside training, dropout changed the output (diff %g)", d)
	}
	// conv2 starts at zero, which would hide dropout: give it weights.
	w, _ := randTensor(45, 3, 3, 4, 4)
	setValue(t, store.GetVariable("/rb/conv2/weights"), w)
	outs = twoPasses(true)
	if d := maxAbsDiff(values(t, outs[0]), values(t, outs[1])); d == 0 {
		t.Error("two training-mode passes with dropout 0.5 are identical")
	}
	if len(outs) != 2+10 {
		t.Errorf("%d gradients, want 10 (norm1, conv1, temb, norm2, conv2: 2 each)", len(outs)-2)
	}
}

func TestResBlockPanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		ResBlock(scope, Zeros(g, shapeF32(2, 4, 4, 4)), Zeros(g, shapeF32(3, 8)), 4, BlockOptions{Groups: 2})
	}, "same B", "(Float32)[2, 4, 4, 4]", "(Float32)[3, 8]")
}
