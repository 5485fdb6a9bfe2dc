package run

import (
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// newTrainer is the trainer of cfg: class-conditional when cfg.NumClasses > 0.
func newTrainer(backend compute.Backend, store *model.Store, sched *ddpm.Schedule, cfg recipe.Config, tcfg ddpm.TrainConfig) (*ddpm.Trainer, error) {
	if cfg.NumClasses > 0 {
		return ddpm.NewCondTrainer(backend, store, sched, cfg.Network.CondNet(), tcfg)
	}
	return ddpm.NewTrainer(backend, store, sched, cfg.Network.Net(), tcfg)
}

// trainStep runs the training step of step's batch of src (with its labels
// for a class-conditional cfg) and returns the loss.
func trainStep(tr *ddpm.Trainer, src Source, cfg recipe.Config, step int64, dims []int) (float64, error) {
	x0 := tensors.FromFlatDataAndDimensions(src.Batch(step), dims...)
	var loss float64
	var err error
	if cfg.NumClasses > 0 {
		loss, _, err = tr.StepLabeled(x0, tensors.FromValue(src.Labels(step)))
	} else {
		loss, _, err = tr.Step(x0)
	}
	return loss, err
}
