package nets

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Downsample halves the resolution with a 3×3 convolution of stride 2 and
// padding 1 (Ho et al.'s `downsample` with_conv=True; their TensorFlow "SAME"
// padding pads (0, 1) at stride 2, we pad (1, 1) as PyTorch ports do):
// x [B, H, W, C] → [B, ⌊(H−1)/2⌋+1, ⌊(W−1)/2⌋+1, C], variables under scope
// (see [Conv2D]).
func Downsample(scope *model.Scope, x *Node, algo ConvAlgo) *Node {
	if x.Rank() != 4 {
		panicf("nets.Downsample: x must be [B, H, W, C], got shape %s", x.Shape())
	}
	return Conv2D(scope, x, x.Shape().Dimensions[3], 3, 2, algo) // [B, H/2, W/2, C]
}

// Upsample doubles the resolution by nearest-neighbour repetition followed
// by a 3×3 convolution (Ho et al.'s `upsample` with_conv=True):
// x [B, H, W, C] → [B, 2H, 2W, C], variables under scope (see [Conv2D]).
func Upsample(scope *model.Scope, x *Node, algo ConvAlgo) *Node {
	if x.Rank() != 4 {
		panicf("nets.Upsample: x must be [B, H, W, C], got shape %s", x.Shape())
	}
	return Conv2D(scope, NearestUpsample2x(x), x.Shape().Dimensions[3], 3, 1, algo) // [B, 2H, 2W, C]
}

// NearestUpsample2x repeats every pixel into a 2×2 block:
// y[b, i, j, c] = x[b, ⌊i/2⌋, ⌊j/2⌋, c]; x [B, H, W, C] → [B, 2H, 2W, C].
// It is a reshape and a broadcast, so its gradient sums each 2×2 block.
func NearestUpsample2x(x *Node) *Node {
	if x.Rank() != 4 {
		panicf("nets.NearestUpsample2x: x must be [B, H, W, C], got shape %s", x.Shape())
	}
	d := x.Shape().Dimensions
	B, H, W, C := d[0], d[1], d[2], d[3]
	y := Reshape(x, B, H, 1, W, 1, C)        // [B, H, 1, W, 1, C]
	y = BroadcastToDims(y, B, H, 2, W, 2, C) // [B, H, 2, W, 2, C]
	return Reshape(y, B, 2*H, 2*W, C)        // [B, 2H, 2W, C]
}
