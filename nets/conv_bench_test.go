package nets

import (
	"fmt"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkConv2DTrain times one 3×3 convolution's forward pass and its
// gradients (∂L/∂x, ∂L/∂K for L = Σ r·y) per algorithm, on XLA, at the
// sizes of the MNIST U-Net's first level and of a stride-2 down-sampling
// (B = 128), with every algorithm, or only the one $DDPM_CONV_ALGO names
// (ConvAlgoEnv; scripts/conv-algo-bench.sh):
//
//	go test ./nets -run '^$' -bench Conv2DTrain -benchtime 10x
//	DDPM_CONV_ALGO=xfwd go test ./nets -run '^$' -bench Conv2DTrain -benchtime 10x
//
// The README's "Speed" section has the numbers that chose ConvAuto.
func BenchmarkConv2DTrain(b *testing.B) {
	backend := xlaBackend(b)
	algos := convAlgos
	if a, err := ConvAlgoFromEnv(); err != nil {
		b.Fatal(err)
	} else if a != ConvAuto {
		algos = []ConvAlgo{a}
	}
	for _, c := range []struct{ S, C, O, stride int }{{28, 32, 32, 1}, {14, 64, 64, 1}, {28, 32, 32, 2}} {
		x, _ := randTensor(1, 128, c.S, c.S, c.C)
		So := (c.S-1)/c.stride + 1
		r, _ := randTensor(2, 128, So, So, c.O)
		for _, algo := range algos {
			b.Run(fmt.Sprintf("%dx%dx%d-%d_s%d/%v", c.S, c.S, c.C, c.O, c.stride, algo), func(b *testing.B) {
				exec, err := model.NewExec(backend, model.NewStore(), func(scope *model.Scope, x, r *Node) []*Node {
					y := Conv2D(scope.At("c"), x, c.O, 3, c.stride, algo)
					k := scope.At("c").VariableWithShape("weights", shapes.Make(x.DType(), 3, 3, c.C, c.O)).NodeValue(x.Graph())
					return Gradient(ReduceAllSum(Mul(y, r)), x, k)
				})
				if err != nil {
					b.Fatal(err)
				}
				run := func() {
					outs, err := exec.Call(x, r)
					if err != nil {
						b.Fatal(err)
					}
					for _, o := range outs {
						tensors.MustCopyFlatData[float32](o)
					}
				}
				run() // compile
				b.ResetTimer()
				for range b.N {
					run()
				}
			})
		}
	}
}

// BenchmarkUNetTrainStep times the default MNIST U-Net's training step
// (ddpm.Trainer, B = 128, on XLA) with each convolution algorithm that can
// train it:
//
//	go test ./nets -run '^$' -bench UNetTrainStep -benchtime 5x
func BenchmarkUNetTrainStep(b *testing.B) {
	backend := xlaBackend(b)
	x0, _ := randTensor(3, 128, 28, 28, 1)
	for _, algo := range []ConvAlgo{ConvIm2Col, ConvHybrid} {
		b.Run(algo.String(), func(b *testing.B) {
			tr, err := ddpm.NewTrainer(backend, model.NewStore(), ddpm.MustNewSchedule(ddpm.ScheduleConfig{}), UNetConfig{Conv: algo}.Net(), ddpm.TrainConfig{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := tr.Step(x0); err != nil { // compiles
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, _, err := tr.Step(x0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
