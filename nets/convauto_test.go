package nets

import (
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// On XLA CPU, ConvAuto takes two numerical paths: im2col while training and
// XLA's native convolution otherwise (sampling, the NLL bound); the reason,
// with its timings, is at ConvAlgo.Resolve. So a model is trained through
// one path and sampled through the other. This checks that the default
// U-Net, with random weights everywhere (its zero-initialised convolutions
// included), gives the same ε on the same store through both: training mode
// (dropout 0, so the convolution is the only difference) against inference
// mode.
func TestConvAutoTrainingAndSamplingAgree(t *testing.T) {
	t.Parallel() // XLA only: see testBackend
	backend := xlaBackend(t)
	c := UNetConfig{}.WithDefaults()
	net := c.Net()
	xT, _ := randTensor(21, 2, c.ImageSize, c.ImageSize, c.InChannels)
	tT := tensors.FromValue([]int32{3, 700})
	store := model.NewStore()
	forward := func(training bool) ([]float64, ConvAlgo) {
		var algo ConvAlgo
		out := callOn(t, backend, store, func(scope *model.Scope, x, tt *Node) *Node {
			store.SetTraining(x.Graph(), training)
			algo = ConvAuto.Resolve(x.Graph())
			return net(scope, x, tt)
		}, xT, tT)
		return values(t, out[0]), algo
	}
	forward(false) // creates the variables
	rng := rand.New(rand.NewPCG(5, 6))
	for v := range store.IterVariables() {
		if !v.Trainable {
			continue
		}
		w := make([]float32, v.Shape().Size())
		for i := range w {
			w[i] = float32(0.1 * rng.NormFloat64())
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	train, algoTrain := forward(true)
	infer, algoInfer := forward(false)
	if algoTrain != ConvIm2Col || algoInfer != ConvNative {
		t.Fatalf("ConvAuto on XLA CPU: training %v, inference %v; this test expects im2col and native (update it with ConvAlgo.Resolve)", algoTrain, algoInfer)
	}
	scale := 0.0
	for _, v := range infer {
		scale = max(scale, v, -v)
	}
	d := maxAbsDiff(train, infer)
	if !(scale > 0.1) || d > 1e-4*scale {
		t.Errorf("U-Net ε: im2col (training) vs native (inference) max diff %g at output scale %g, want ≤ 1e-4 of it", d, scale)
	}
	t.Logf("U-Net ε, im2col vs native: max diff %.3g at output scale %.3g", d, scale)
}
