package figures

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/gomlx/core/tensors"
)

// GuidanceWeights are the rows of guidance_<name>.png: w = 0, 1, 4.
var GuidanceWeights = []float64{0, 1, 4}

// Guidance draws classifier-free guided samples (ddpm.Guided) of the
// class-conditional image model in path: one row per guidance weight of ws,
// one column per label 0…k−1, all from the same x_T per column (seed
// fc.Seed), with the model's DDIM sampler at η = 1 (50 steps; 10 with
// Quick), the setting of docs/results.md's guidance table.
func (fc Config) Guidance(path string, ws []float64) ([]byte, error) {
	m, err := trained.Load(path)
	if err != nil {
		return nil, err
	}
	k := m.Config.NumClasses
	if k == 0 || !m.Config.IsImage() {
		return nil, fmt.Errorf("figures: %s is not a class-conditional image model (trained with labels)", path)
	}
	cfg := m.SampleConfig(ddpm.DDIM)
	cfg.Eta = 1
	if fc.Quick {
		cfg.Steps = 10
	}
	var all []float32
	for _, w := range ws {
		x, _, err := m.SampleGuided(fc.Backend, cfg, trained.Guidance{Labels: trained.BalancedLabels(k, k), W: w}, k, fc.Seed)
		if err != nil {
			return nil, err
		}
		all = append(all, tensors.MustCopyFlatData[float32](x)...)
	}
	d := m.Config.ExampleDims()
	return figs.Grid(all, len(ws)*k, d[0], d[1], d[2], k, 2)
}
