package run

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// Plan completes the length and place of a run of cfg from preset p (the
// zero Preset for none), as `ddpm train` does:
//
//   - the steps: opt.Steps, else the preset's, else the data's base
//     preset's; for a wall-time recipe, as many as fit in its budget on this
//     machine ([StepsFor]; a folder that holds such a run keeps its planned
//     steps), its wall limit then raised by a tenth (at least 30 s) so that
//     the planned steps, not the limit, end the run;
//   - the wall budget: opt.MaxWall, else the preset's minutes;
//   - the folder: opt.Dir, else runs/<data>-<model>-seed<seed>;
//   - for a preset that decays to its end, the decay's last step.
//
// Before it times, it runs every check of [Preflight]. cfg must be complete
// (recipe.Config.WithDefaults, which nothing here calls again), and the
// data are decoded once, for the checks, the timing and the run. It returns
// the run [Prepare]d (every check passed, nothing created) and the step
// rate it timed (0 when it timed none).
func Plan(backend compute.Backend, cfg recipe.Config, p recipe.Preset, opt Options) (run *Prepared, rate float64, err error) {
	if err := opt.Validate(); err != nil {
		return nil, 0, err
	}
	if opt.Dir == "" {
		opt.Dir = filepath.Join("runs", fmt.Sprintf("%s-%s-seed%d", cfg.Data, cfg.ModelName(), cfg.Seed))
	}
	if opt.MaxWall == 0 && p.Minutes > 0 {
		opt.MaxWall = time.Duration(p.Minutes * float64(time.Minute))
	}
	budget := opt.MaxWall
	if opt.Steps == 0 {
		opt.Steps = p.Steps
		if p.Name == "" {
			opt.Steps = recipe.BasePreset(cfg.Data).Steps
		}
	}
	if opt.Steps == 0 && p.DecayToEnd && cfg.DecaySteps == 0 {
		// A wall-time recipe resumed: the steps its decay was planned for.
		if prev, ok := runConfig(opt.Dir); ok && prev.DecaySteps > 0 {
			cfg.DecaySteps, opt.Steps = prev.DecaySteps, int64(prev.DecaySteps)
		}
	}
	// src is the data, once opened (a wall-time recipe opens them to time the
	// steps, and the run keeps them).
	var src Source
	if opt.Steps == 0 { // a wall-time recipe: as many steps as fit, timed here
		// Every check first (the timing is work): with a provisional length,
		// in a folder that holds no run of another length.
		probe, popt := cfg, opt
		popt.Steps = 1
		if p.DecayToEnd {
			probe.DecaySteps = 1
		}
		checked, err := prepare(backend, probe, popt, nil)
		if err != nil {
			return nil, 0, err
		}
		src = checked.src
		if opt.Steps, rate, err = stepsFor(backend, cfg, src, opt.MaxWall, 20); err != nil {
			return nil, 0, err
		}
		// The steps fill the budget; the wall limit only stops a run whose
		// machine slowed down (a run cut before its decay ends is much worse).
		opt.MaxWall += max(opt.MaxWall/10, 30*time.Second)
	}
	if p.DecayToEnd && cfg.DecaySteps == 0 {
		cfg.DecaySteps = int(opt.Steps)
	}
	if opt.Guidance == 0 && cfg.NumClasses > 0 {
		opt.Guidance, opt.GuidanceInterval = p.Guidance, p.GuidanceInterval
	}
	if run, err = prepare(backend, cfg, opt, src); run != nil {
		run.budget = budget
	}
	return run, rate, err
}

// StepsFor estimates how many training steps of cfg fit in a training call
// of wall time d on backend, for a time budget with a learning-rate decay
// that must know its last step (TrainConfig.DecaySteps). It compiles the
// step on a throw-away store (timing the compilation, which the training
// call pays again within d), times at least probe more steps and at least
// [ProbeTime] of them, and returns
//
//	steps = rate · (d − compilation) · (1 − StepsMargin)
//
// (at least 1) with the rate in steps/s: the margin keeps a run whose
// machine slows down a little from being cut by its wall limit before its
// decay ends (a run cut short is much worse than one planned shorter).
// It completes cfg (recipe.Config.WithDefaults) and opens its data.
func StepsFor(backend compute.Backend, cfg recipe.Config, d time.Duration, probe int) (steps int64, rate float64, err error) {
	cfg, err = cfg.WithDefaults()
	if err != nil {
		return 0, 0, err
	}
	src, err := NewSource(cfg)
	if err != nil {
		return 0, 0, err
	}
	return stepsFor(backend, cfg, src, d, probe)
}

// stepsFor is [StepsFor] of a complete configuration and its opened data.
func stepsFor(backend compute.Backend, cfg recipe.Config, src Source, d time.Duration, probe int) (steps int64, rate float64, err error) {
	sched, err := ddpm.NewSchedule(cfg.Schedule)
	if err != nil {
		return 0, 0, err
	}
	tr, err := newTrainer(backend, model.NewStore(), sched, cfg, cfg.TrainConfig)
	if err != nil {
		return 0, 0, err
	}
	dims := append([]int{cfg.Batch}, cfg.ExampleDims()...)
	step := func(i int64) error {
		_, err := trainStep(tr, src, cfg, i, dims)
		return err
	}
	t0 := time.Now()
	if err := step(0); err != nil { // compiles
		return 0, 0, err
	}
	compile := time.Since(t0)
	start := time.Now()
	var n int64
	for n < int64(max(probe, 1)) || time.Since(start) < ProbeTime {
		if err := step(n + 1); err != nil {
			return 0, 0, err
		}
		n++
	}
	rate = float64(n) / time.Since(start).Seconds()
	left := max(d-compile, 0).Seconds() * (1 - StepsMargin)
	return max(int64(rate*left), 1), rate, nil
}

// ProbeTime is the least time [StepsFor] times steps for, and StepsMargin
// the share of the budget it leaves unplanned: whole runs have been slower
// than their probe on a 2-core Zen 3 (a 10-minute run at 0.89 of the probed
// rate, a 30-minute one at 0.81, docs/cpu.md), and a run that reaches its
// wall limit before its last step ends before its learning-rate decay does.
const (
	ProbeTime   = 5 * time.Second
	StepsMargin = 0.15
)
