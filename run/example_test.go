package run_test

import (
	"fmt"
	"os"
	"path/filepath"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/eval"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/run"
	"github.com/ddpm-go/ddpm-go/trained"
)

// A 2-D run end to end: Algorithm 1 on 8 Gaussians with a small MLP for
// 4,000 steps, its weight file loaded back, and the evaluation protocol's
// sliced W1 against its floor (the same distance between two draws of the
// data). The printed lines are rounded: the run is exact on one backend,
// but XLA CPU and the pure-Go backend sum in other orders.
func Example() {
	dir, err := os.MkdirTemp("", "ddpm-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	backend := backendpkg.Must()
	cfg := recipe.Config{Data: "8gaussians", Network: nets.MLPConfig{Hidden: 128, Layers: 3}, Batch: 256,
		Schedule: ddpm.ScheduleConfig{T: 100, Rescale: true}, TrainConfig: ddpm.TrainConfig{LearningRate: 2e-3, DecaySteps: 4000, EMAWarmup: true, Seed: 1}}
	res, err := run.Train(backend, cfg, run.Options{Steps: 4000, Dir: filepath.Join(dir, "run")})
	if err != nil {
		panic(err)
	}
	m, err := trained.Load(res.WeightsPath)
	if err != nil {
		panic(err)
	}
	r, err := eval.Evaluate(backend, m, eval.Config{N: 2000, Seed: 7})
	if err != nil {
		panic(err)
	}
	w1 := r.Reports[0]
	fmt.Printf("%s: %d steps, %d parameters, EMA weights %q\n", m.Config.Data, m.Provenance.Steps, m.Provenance.Parameters, m.Provenance.Weights)
	fmt.Printf("%s of %d ancestral samples below 3× its floor: %v\n", w1.Name, r.N, w1.Ratio < 3)
	// Output:
	// 8gaussians: 4000 steps, 37762 parameters, EMA weights "ema"
	// sliced-W1 of 2000 ancestral samples below 3× its floor: true
}
