package nets

import (
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// On XLA CPU, ConvAuto takes one path in training and in sampling
// (ConvHybrid: the native convolution forward, see ConvAlgo.Resolve), so a
// model is sampled through the function it was trained as. This checks
// that, and that a two-level U-Net, with random weights everywhere (its
// zero-initialised convolutions included), gives the same ε on the same
// store through ConvAuto as through im2col, the path that the pure-Go
// backend takes and that XLA CPU trained with before ConvHybrid.
func TestConvAutoTrainingAndSamplingAgree(t *testing.T) {
	t.Parallel() // XLA only: see testBackend
	backend := xlaBackend(t)
	c := UNetConfig{Base: 8, Mults: []int{1, 2}}.WithDefaults() // small: two U-Nets compile in each graph
	net := c.Net()
	im2col := func() UNetConfig { c := c; c.Conv = ConvIm2Col; return c }().Net()
	xT, _ := randTensor(21, 2, c.ImageSize, c.ImageSize, c.InChannels)
	tT := tensors.FromValue([]int32{3, 700})
	store := model.NewStore()
	forward := func(training bool) ([]float64, []float64, ConvAlgo) {
		var algo ConvAlgo
		out := callOn(t, backend, store, func(scope *model.Scope, x, tt *Node) []*Node {
			store.SetTraining(x.Graph(), training)
			algo = ConvAuto.Resolve(x.Graph())
			return []*Node{net(scope, x, tt), im2col(scope, x, tt)}
		}, xT, tT)
		return values(t, out[0]), values(t, out[1]), algo
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
	train, trainIm2col, algoTrain := forward(true)
	infer, inferIm2col, algoInfer := forward(false)
	if algoTrain != algoInfer {
		t.Fatalf("ConvAuto: training %v, inference %v: sampling would not compute the trained function", algoTrain, algoInfer)
	}
	scale := 0.0
	for _, v := range infer {
		scale = max(scale, v, -v)
	}
	if d := maxAbsDiff(train, infer); d != 0 {
		t.Errorf("U-Net ε through ConvAuto differs between training and inference mode by %g (dropout is 0: want 0)", d)
	}
	for _, c := range []struct {
		name     string
		got, ref []float64
	}{{"training", train, trainIm2col}, {"inference", infer, inferIm2col}} {
		d := maxAbsDiff(c.got, c.ref)
		if !(scale > 0.1) || d > 1e-4*scale {
			t.Errorf("U-Net ε, %s mode: ConvAuto (%v) vs im2col max diff %g at output scale %g, want ≤ 1e-4 of it", c.name, algoTrain, d, scale)
		}
		t.Logf("U-Net ε, %s mode: ConvAuto (%v) vs im2col max diff %.3g at output scale %.3g", c.name, algoTrain, d, scale)
	}
}
