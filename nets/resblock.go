package nets

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// BlockOptions are the settings shared by the blocks of a U-Net.
type BlockOptions struct {
	Groups  int      // GroupNorm groups; every channel count must be a multiple.
	Dropout float64  // dropout rate before a ResBlock's second convolution, applied only when training; 0 = none.
	Conv    ConvAlgo // convolution algorithm (see [ConvAlgo]).
}

// ResBlock is the residual block of Ho et al.'s U-Net (diffusion_tf/models/
// unet.py, resnet_block) with the time embedding added between its two
// convolutions:
//
//	h = Conv3×3(SiLU(GN(x)))                      [B, H, W, out]   "conv1", "norm1"
//	h = h + Dense(SiLU(temb))                     [B, 1, 1, out] broadcast, "temb"
//	h = Conv3×3(Dropout(SiLU(GN(h))))             [B, H, W, out]   "conv2" (zero-initialised), "norm2"
//	y = h + x            if Cin = out,
//	y = h + Conv1×1(x)   otherwise                                  "skip"
//
// x [B, H, W, Cin], temb [B, T] → y [B, H, W, out]. Its parameters number
// 2·Cin + 9·Cin·out + out + T·out + out + 2·out + 9·out² + out, plus
// Cin·out + out for the 1×1 skip when Cin ≠ out. As in Ho et al.'s code
// (init_scale=0), conv2 starts at zero, so a new block is the identity (or
// the 1×1 projection) of x. Dropout (Ho et al.: 0.1 on CIFAR-10) is only
// active when the store is training (model.Store.IsTraining).
func ResBlock(scope *model.Scope, x, temb *Node, out int, opt BlockOptions) *Node {
	if x.Rank() != 4 || temb.Rank() != 2 || temb.Shape().Dimensions[0] != x.Shape().Dimensions[0] {
		panicf("nets.ResBlock: want x [B, H, W, C] and temb [B, T] with the same B, got shapes %s and %s", x.Shape(), temb.Shape())
	}
	if out < 1 {
		panicf("nets.ResBlock: want out ≥ 1 channels, got %d", out)
	}
	B, cin := x.Shape().Dimensions[0], x.Shape().Dimensions[3]
	h := Conv2D(scope.At("conv1"), SiLU(GroupNorm(scope.At("norm1"), x, opt.Groups)), out, 3, 1, opt.Conv) // [B, H, W, out]
	tproj := Dense(scope.At("temb"), SiLU(temb), out)                                                      // [B, out]
	h = Add(h, Reshape(tproj, B, 1, 1, out))                                                               // [B, H, W, out]
	h = SiLU(GroupNorm(scope.At("norm2"), h, opt.Groups))
	if opt.Dropout > 0 {
		h = layers.DropoutStatic(scope, h, opt.Dropout)
	}
	h = Conv2D(scope.At("conv2").WithInitializer(Zeros), h, out, 3, 1, opt.Conv) // [B, H, W, out]
	skip := x
	if cin != out {
		skip = Conv2D(scope.At("skip"), x, out, 1, 1, opt.Conv) // [B, H, W, out]
	}
	return Add(skip, h)
}

// resBlockParams is the parameter count of [ResBlock] (cin → out, time width T).
func resBlockParams(cin, out, T int) int {
	n := 2*cin + 9*cin*out + out + T*out + out + 2*out + 9*out*out + out
	if cin != out {
		n += cin*out + out
	}
	return n
}
