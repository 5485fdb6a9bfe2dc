package nets

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Nearest ×2: y[b, i, j, c] = x[b, ⌊i/2⌋, ⌊j/2⌋, c] exactly; its gradient
// sums each 2×2 block (here: 4 for the all-ones loss weights).
func TestNearestUpsample2x(t *testing.T) {
	const B, H, W, C = 2, 3, 2, 2
	xT, x := randTensor(31, B, H, W, C)
	outs := callN(t, model.NewStore(), func(_ *model.Scope, x *Node) []*Node {
		y := NearestUpsample2x(x)
		return []*Node{y, Gradient(ReduceAllSum(y), x)[0]}
	}, xT)
	checkDims(t, "NearestUpsample2x", outs[0], B, 2*H, 2*W, C)
	y := values(t, outs[0])
	for b := range B {
		for i := range 2 * H {
			for j := range 2 * W {
				for c := range C {
					got, want := y[((b*2*H+i)*2*W+j)*C+c], x[((b*H+i/2)*W+j/2)*C+c]
					if got != want {
						t.Fatalf("y[%d,%d,%d,%d] = %g, want x[%d,%d,%d,%d] = %g", b, i, j, c, got, b, i/2, j/2, c, want)
					}
				}
			}
		}
	}
	for i, g := range values(t, outs[1]) {
		if g != 4 {
			t.Fatalf("gradient[%d] = %g, want 4", i, g)
		}
	}
}

func TestResampleShapes(t *testing.T) {
	xT, _ := randTensor(32, 1, 14, 14, 4)
	outs := callN(t, model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		d := Downsample(scope.At("d1"), x, ConvAuto)
		return []*Node{d, Downsample(scope.At("d2"), d, ConvAuto), Upsample(scope.At("u"), d, ConvAuto)}
	}, xT)
	checkDims(t, "Downsample 14", outs[0], 1, 7, 7, 4)
	checkDims(t, "Downsample 7", outs[1], 1, 4, 4, 4)
	checkDims(t, "Upsample 7", outs[2], 1, 14, 14, 4)
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		Upsample(scope, Const(g, []float32{1}), ConvAuto)
	}, "[B, H, W, C]", "(Float32)[1]")
}
