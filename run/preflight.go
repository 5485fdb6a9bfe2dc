package run

import (
	"fmt"
	"os"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// Prepared is a training run whose every check has passed ([Prepare]) and
// which has not yet created or changed anything: [Prepared.Train] runs it.
type Prepared struct {
	backend compute.Backend
	budget  time.Duration // Plan's wall budget (opt.MaxWall, else the preset's minutes), before it raised the wall limit
	cfg     recipe.Config
	opt     Options
	sched   *ddpm.Schedule
	src     Source
	// init is the network of opt.InitFrom for a new run (nil otherwise), and
	// initDigest that file's SHA-256, recorded in every checkpoint so that
	// the same command (-init included) resumes the run.
	init       *model.Store
	initDigest string
}

// Budget is the wall budget [Plan] planned the steps for (0: none): the
// wall limit, Options().MaxWall, is a tenth above it.
func (r *Prepared) Budget() time.Duration { return r.budget }

// SetInterrupt sets the options' Interrupt channel (Options.Interrupt),
// for a caller that installs its signal handler after [Plan] read the
// inputs, so that a signal while they are read stops the program.
func (p *Prepared) SetInterrupt(c <-chan os.Signal) { p.opt.Interrupt = c }

// Config is the run's configuration with its defaults filled.
func (p *Prepared) Config() recipe.Config { return p.cfg }

// Options are the run's options with their defaults filled.
func (p *Prepared) Options() Options { return p.opt }

// Preflight runs every check of a training run — configuration, options,
// data, devices against the batch and the backend, the -init weight file
// (shape and finiteness), the memory the parameters and optimiser state
// need, and the run folder (another run, a lock held, outputs without
// checkpoints, nothing left to do) — and creates nothing. Its errors are
// one line; a run already at opt.Steps is an [*AlreadyDone].
func Preflight(backend compute.Backend, cfg recipe.Config, opt Options) error {
	_, err := Prepare(backend, cfg, opt)
	return err
}

// Prepare is [Preflight] returning the checked run, so that the data and the
// -init weights are read once. It completes cfg (recipe.Config.WithDefaults);
// nothing after it completes it again.
func Prepare(backend compute.Backend, cfg recipe.Config, opt Options) (*Prepared, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	return prepare(backend, cfg, opt, nil)
}

// prepare is [Prepare] of a complete configuration, with the training data
// src when it was opened already (nil: opened here), so that a command
// decodes its data set once.
func prepare(backend compute.Backend, cfg recipe.Config, opt Options, src Source) (*Prepared, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.Steps < 1 || opt.Dir == "" {
		return nil, fmt.Errorf("run: training needs steps ≥ 1 and a run folder (got %d, %q)", opt.Steps, opt.Dir)
	}
	if opt.CheckpointEvery == 0 {
		opt.CheckpointEvery = max(opt.Steps/10, 1)
	}
	if opt.Keep == 0 {
		opt.Keep = DefaultKeep
	}
	if err := checkDevices(backend, cfg, &opt); err != nil {
		return nil, err
	}
	if err := checkMemory(backend, cfg); err != nil {
		return nil, err
	}
	sched, err := ddpm.NewSchedule(cfg.Schedule)
	if err != nil {
		return nil, err
	}
	p := &Prepared{backend: backend, cfg: cfg, opt: opt, sched: sched}
	// The folder before the data: its refusals are cheaper and more common.
	st, err := checkFolder(cfg, opt)
	if err != nil {
		return nil, err
	}
	if opt.InitFrom != "" {
		// Its structure first (a regular file, magic bytes, header, size),
		// then its digest: hashing a 20 GB file that is no weight file, or
		// /dev/zero, before looking at it would take long or never end.
		if _, err := ckpt.ReadMeta(opt.InitFrom); err != nil {
			return nil, initError(opt.InitFrom, err)
		}
		if p.initDigest, err = fileDigest(opt.InitFrom); err != nil {
			return nil, initError(opt.InitFrom, err)
		}
	}
	if err := st.check(opt, p.initDigest); err != nil {
		return nil, err
	}
	if len(st.ckpts) == 0 && opt.InitFrom != "" {
		if p.init, err = initStore(cfg, opt.InitFrom); err != nil {
			return nil, err
		}
	}
	if p.src = src; src == nil {
		if p.src, err = NewSource(cfg); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkDevices fills opt.Devices (backend.DefaultDevices when 0) and checks it
// against the backend's devices and the batch.
func checkDevices(backend compute.Backend, cfg recipe.Config, opt *Options) error {
	if opt.Devices == 0 {
		opt.Devices = backendpkg.DefaultDevices(backend)
	}
	if n := backend.NumDevices(); opt.Devices > n {
		return fmt.Errorf("run: %d devices asked for, but the backend %s has %d (Options.Devices)", opt.Devices, backendpkg.Describe(backend), n)
	}
	if opt.Devices > 1 && cfg.Batch%opt.Devices != 0 {
		return fmt.Errorf("run: batch %d does not split over %d devices: use a multiple of %d (Config.Batch) or fewer devices (Options.Devices)", cfg.Batch, opt.Devices, opt.Devices)
	}
	return nil
}
