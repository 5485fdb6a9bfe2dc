package run

import (
	"math"
	"runtime"
	"time"

	"github.com/ddpm-go/ddpm-go/internal/provenance"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/gomlx/ml/model"
)

// Result summarises a training call.
type Result struct {
	Config      recipe.Config
	StartStep   int64     // step resumed from (0 for a new run)
	Step        int64     // step reached
	Losses      []float64 // loss of every step of the run so far, index = step − 1
	Wall        time.Duration
	StepsPerSec float64
	WeightsPath string // EMA weights with provenance (after the last step)
	Store       *model.Store
	Backend     string
	Devices     int              // devices each step ran on
	History     []trained.Change // configuration changes on resume (a lowered learning rate)
}

// NewProvenance fills a Provenance for the end of a training call.
func NewProvenance(cfg recipe.Config, r *Result, command string) trained.Provenance {
	p := trained.Provenance{Command: command, Steps: r.Step, Batch: cfg.Batch, Seed: cfg.Seed, Parameters: cfg.NumParameters(),
		Backend: r.Backend, Devices: r.Devices, Hardware: provenance.Hardware(), WallSeconds: r.Wall.Seconds(), StepsPerSec: r.StepsPerSec,
		Commit: provenance.Commit(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339), Weights: "ema"}
	p.History = r.History
	n := 0
	for _, l := range r.Losses[len(r.Losses)-min(len(r.Losses), 100):] {
		if !math.IsNaN(l) { // NaN: a row an earlier version's loss.csv lost
			p.FinalLoss += l
			n++
		}
	}
	if n > 0 {
		p.FinalLoss /= float64(n)
	}
	return p
}
