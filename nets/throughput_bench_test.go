package nets

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// throughputCandidates are the networks of issue 21 ("a model built for two
// cores"), each a [Network] completed for MNIST (28×28×1): today's CPU
// U-Net (notebook 05), the space-to-depth U-Nets (s2dunet.go's table) and
// U-ViTs of about 0.4–2.4 M parameters (uvit.go's table). The name is the
// sub-benchmark's.
var throughputCandidates = []struct {
	name string
	net  Network
}{
	{"unet/28-base16-mults1,2,2", UNetConfig{Base: 16}},
	{"s2d-unet/p2-base32-mults1,2", S2DUNetConfig{Patch: 2}},
	{"s2d-unet/p2-base32-mults1,2-att7", S2DUNetConfig{Patch: 2, UNetConfig: UNetConfig{AttentionRes: []int{7}}}},
	{"s2d-unet/p2-base48-mults1,2-att7", S2DUNetConfig{Patch: 2, UNetConfig: UNetConfig{Base: 48, AttentionRes: []int{7}}}},
	{"s2d-unet/p4-base64", S2DUNetConfig{Patch: 4}},
	{"s2d-unet/p4-base64-att7", S2DUNetConfig{Patch: 4, UNetConfig: UNetConfig{AttentionRes: []int{7}}}},
	{"s2d-unet/p4-base96-att7", S2DUNetConfig{Patch: 4, UNetConfig: UNetConfig{Base: 96, AttentionRes: []int{7}}}},
	{"uvit/p4-w64-d9", UViTConfig{Patch: 4, Width: 64, Depth: 9}},
	{"uvit/p4-w96-d7", UViTConfig{Patch: 4, Width: 96, Depth: 7}},
	{"uvit/p4-w128-d5", UViTConfig{Patch: 4, Width: 128, Depth: 5}},
	{"uvit/p4-w128-d7", UViTConfig{Patch: 4, Width: 128, Depth: 7}},
	{"uvit/p4-w192-d5", UViTConfig{Patch: 4, Width: 192, Depth: 5}},
	{"uvit/p2-w64-d7", UViTConfig{Patch: 2, Width: 64, Depth: 7}},
	{"uvit/p2-w96-d7", UViTConfig{Patch: 2, Width: 96, Depth: 7}},
	{"uvit/p2-w128-d3", UViTConfig{Patch: 2, Width: 128, Depth: 3}},
}

// BenchmarkTrainStepImagesPerSec times one ddpm.Trainer step (notebook 05's
// recipe: v-prediction, min-SNR-5, Adam with warm-up and cosine decay, EMA
// with warm-up) of each candidate on a fixed random batch of 32 28×28×1
// images on the default backend (backend.New: XLA CPU when installed) and
// reports images/s (32 per step over the time per step) and the parameter
// count. Each sub-benchmark first takes three untimed steps (the first
// compiles). Run it alone on the machine — XLA CPU's thread pools beside
// another job halve a step's speed (README, "MNIST on a CPU"):
//
//	go test ./nets -run '^$' -bench TrainStepImagesPerSec -benchtime 8s
//	go test ./nets -run '^$' -bench 'TrainStepImagesPerSec/uvit' -benchtime 20x
//
// $DDPM_CONV_ALGO ([ConvAlgoEnv]) sets the convolution algorithm of every
// candidate; scripts/conv-algo-bench.sh times the CPU model's step with
// each:
//
//	DDPM_CONV_ALGO=xfwd go test ./nets -run '^$' -bench 'TrainStepImagesPerSec/s2d-unet/p2-base32-mults1,2$' -benchtime 100x
//
// The quality per minute of training is what decides (issue 21); this
// probe only says how many images a minute each shape sees.
func BenchmarkTrainStepImagesPerSec(b *testing.B) {
	const B, S = 32, 28
	backend, err := backendpkg.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("backend %s, %s=%q", backendpkg.Name(), ConvAlgoEnv, os.Getenv(ConvAlgoEnv))
	rng := rand.New(rand.NewPCG(21, 1))
	x := make([]float32, B*S*S)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	x0 := tensors.FromFlatDataAndDimensions(x, B, S, S, 1)
	sched := ddpm.MustNewSchedule(ddpm.ScheduleConfig{})
	recipe := ddpm.TrainConfig{Prediction: ddpm.PredictV, MinSNRGamma: 5, LearningRate: 2e-3, WarmupSteps: 100, DecaySteps: 6000,
		EMADecay: 0.999, EMAWarmup: true, Seed: 1}
	for _, c := range throughputCandidates {
		b.Run(c.name, func(b *testing.B) {
			n, err := c.net.For(Spec{Dims: []int{S, S, 1}})
			if err != nil {
				b.Fatal(err)
			}
			tr, err := ddpm.NewTrainer(backend, model.NewStore(), sched, n.Net(), recipe)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for range 3 {
				if _, _, err := tr.Step(x0); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: %d parameters; compile and 3 steps %.1f s", n.Summary(), n.NumParameters(), time.Since(start).Seconds())
			b.ResetTimer()
			for range b.N {
				if _, _, err := tr.Step(x0); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(B*b.N)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(float64(n.NumParameters()), "params")
		})
	}
}

// The candidates are valid for MNIST and their counts are the tables'.
func TestThroughputCandidates(t *testing.T) {
	for _, c := range throughputCandidates {
		n, err := c.net.For(Spec{Dims: []int{28, 28, 1}})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if n.Name() != c.name[:len(n.Name())] {
			t.Errorf("%s is a %s", c.name, n.Name())
		}
		t.Logf("%-36s %9d parameters  %s", c.name, n.NumParameters(), n.Summary())
	}
}
