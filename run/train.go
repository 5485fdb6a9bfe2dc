package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/internal/fault"
	"github.com/ddpm-go/ddpm-go/internal/progress"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Train runs (or resumes) Algorithm 1 for cfg in opt.Dir on backend:
// runs every check first ([Prepare]: nothing is created when one fails),
// restores the newest checkpoint if any, trains to opt.Steps, checkpoints
// every opt.CheckpointEvery steps and at the end, and writes loss.csv,
// loss.png and weights.ddpm (the EMA weights, with their provenance).
func Train(backend compute.Backend, cfg recipe.Config, opt Options) (*Result, error) {
	p, err := Prepare(backend, cfg, opt)
	if err != nil {
		return nil, err
	}
	return p.Train()
}

// Train runs the checked run: restores, trains, checkpoints and writes
// its outputs as [Train] says.
func (p *Prepared) Train() (*Result, error) {
	backend, cfg, opt, sched, src := p.backend, p.cfg, p.opt, p.sched, p.src
	var err error
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	var prev recipe.Config // the run.json found, when it had a higher learning rate
	var rebuiltFrom string // the file a torn run.json was rebuilt from
	run, err := ckpt.OpenRunAmend(opt.Dir, cfg, opt.Keep, amendLR(opt.Dir, cfg, &prev, &rebuiltFrom))
	if err != nil {
		return nil, err
	}
	defer run.Close()
	if rebuiltFrom != "" {
		fmt.Fprintf(logw, "%s was torn: rebuilt from the configuration recorded in %s\n", filepath.Join(opt.Dir, "run.json"), rebuiltFrom)
	}
	if len(run.Removed) > 0 {
		fmt.Fprintf(logw, "removed %d temporary file(s) of an interrupted write in %s\n", len(run.Removed), opt.Dir)
	}
	res := &Result{Config: cfg, Backend: backendpkg.Describe(backend)}
	store, step0, meta, skipped, found, err := run.Restore(func(st *model.Store, step int64, meta json.RawMessage) error {
		if v := st.GetVariable("/ddpm/step"); v == nil || !v.HasValue() || v.Shape().Size() != 1 || v.Shape().DType != dtypes.Int64 {
			return fmt.Errorf("no training step counter")
		} else if got := tensors.ToScalar[int64](v.MustValue()); got != step {
			return fmt.Errorf("holds global step %d", got)
		}
		_, err := checkpointLosses(meta, step)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, sk := range skipped {
		fmt.Fprintf(logw, "skipped checkpoint %s: %s\n", sk.Path, strings.TrimPrefix(sk.Err.Error(), "ckpt: "+sk.Path+": "))
	}
	if !found && len(skipped) > 0 {
		return nil, fmt.Errorf("run: no usable checkpoint in %s (all %d are corrupt): delete the folder to start over", opt.Dir, len(skipped))
	}
	// Under the lock, the folder's rules again (another process may have
	// changed it since Prepare).
	if st, err := inspectFolder(opt.Dir); err != nil {
		return nil, err
	} else if err := st.check(opt, p.initDigest); err != nil {
		return nil, err
	}
	var initPath string // the -init file this run started from, for its checkpoints
	if !found {
		store = model.NewStore()
		if opt.InitFrom != "" {
			if store = p.init; store == nil {
				if store, err = initStore(cfg, opt.InitFrom); err != nil {
					return nil, err
				}
			}
			initPath = opt.InitFrom
			fmt.Fprintf(logw, "starting from the weights of %s\n", opt.InitFrom)
		}
	} else {
		var m checkpointMeta
		if err := json.Unmarshal(meta, &m); err != nil {
			return nil, fmt.Errorf("run: %s: metadata: %w", run.Path(step0), err)
		}
		initPath = m.Init
		if opt.InitFrom != "" && m.InitSHA256 != p.initDigest {
			return nil, fmt.Errorf("run: Options.InitFrom %s: %s already holds a run at step %d that did not start from it: leave out Options.InitFrom to resume it, or choose a new folder (Options.Dir)", opt.InitFrom, opt.Dir, step0)
		}
		res.StartStep = step0
		if res.Losses, err = checkpointLosses(meta, step0); err != nil { // checked by Restore's callback
			return nil, fmt.Errorf("run: %s: %w", run.Path(step0), err)
		}
		if res.Losses == nil { // a checkpoint of an earlier version: the losses are in loss.csv
			res.Losses = legacyLosses(filepath.Join(opt.Dir, "loss.csv"), step0, logw)
		}
		fmt.Fprintf(logw, "resuming from step %d (%s)\n", step0, run.Path(step0))
	}
	res.Store = store
	if prev.LearningRate != 0 {
		fmt.Fprintf(logw, "learning rate lowered from %g to %g at step %d (recorded in %s)\n", prev.LearningRate, cfg.LearningRate, res.StartStep, historyName)
		if _, err := appendHistory(run, trained.Change{Step: res.StartStep, LearningRate: [2]float64{prev.LearningRate, cfg.LearningRate}}); err != nil {
			return nil, err
		}
	}
	if res.History, err = readHistory(opt.Dir); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	tcfg := cfg.TrainConfig
	tcfg.Devices = opt.Devices
	tr, err := newTrainer(backend, store, sched, cfg, tcfg)
	if err != nil {
		return nil, err
	}
	res.Devices = tr.Devices()
	if got := tr.GlobalStep(); got != res.StartStep {
		return nil, fmt.Errorf("run: checkpoint of step %d holds global step %d: corrupt run folder %s", res.StartStep, got, opt.Dir)
	}
	dims := append([]int{cfg.Batch}, cfg.ExampleDims()...)
	bar := progress.NewTraining(opt.Progress, opt.Steps)
	start := time.Now()
	step := res.StartStep
	defer bar.Done()
	// Each checkpoint carries the loss of every step up to it, so that
	// loss.csv (written after it, and killed writes included) is rebuilt from
	// the checkpoint a run resumes from: one row per step, always. Step 0 has
	// no checkpoint (the store has no step counter yet: a run resumed from it
	// could not read it back), and a checkpoint already written is not
	// written again. Weights that became NaN or infinite are never written:
	// the run stops as diverged.
	cfgJSON, err := json.Marshal(cfg) // run.json's content, kept in every checkpoint
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	savedAt := res.StartStep
	if !found {
		savedAt = -1
	}
	save := func() error {
		if step == 0 || step == savedAt {
			return nil
		}
		meta := checkpointMeta{Step: step, Backend: backendpkg.Describe(backend), Losses: res.Losses, Init: initPath, InitSHA256: p.initDigest, Config: cfgJSON}
		if err := run.Save(store, step, meta); errors.Is(err, ckpt.ErrNonFinite) {
			bar.Done()
			return diverged(run, cfg, step, step+1, fmt.Sprintf("the weights after step %d hold a NaN or an infinity", step))
		} else if err != nil {
			return err
		}
		savedAt = step
		fault.Point("run-before-loss-log") // tests: a kill between the checkpoint and the loss log
		return writeLosses(run, cfg, res.Losses)
	}
	var watch divergence
	for i, l := range res.Losses {
		if !math.IsNaN(l) { // NaN: a step missing from an earlier version's loss.csv
			watch.observe(int64(i+1), l)
		}
	}
	interrupted := false
	var sig os.Signal
	for step < opt.Steps {
		if opt.StopAfter > 0 && step-res.StartStep >= opt.StopAfter {
			interrupted = true
			break
		}
		if opt.MaxWall > 0 && step > res.StartStep && time.Since(start) > opt.MaxWall {
			break
		}
		loss, err := trainStep(tr, src, cfg, step, dims)
		if err != nil {
			return nil, fmt.Errorf("run: step %d: %w", step+1, err)
		}
		if bad, since, why := watch.observe(step+1, loss); bad {
			bar.Done()
			return nil, diverged(run, cfg, step+1, since, why)
		}
		step++
		res.Losses = append(res.Losses, loss)
		bar.Update(step, loss)
		if step%opt.CheckpointEvery == 0 && step < opt.Steps {
			if err := save(); err != nil {
				return nil, err
			}
		}
		if s, ok := signalled(opt.Interrupt); ok {
			sig, interrupted = s, true
			break
		}
	}
	bar.Done()
	fault.Point("run-end")
	res.Step = step
	res.Wall = time.Since(start)
	if n := step - res.StartStep; n > 0 {
		res.StepsPerSec = float64(n) / res.Wall.Seconds()
	}
	if err := save(); err != nil {
		return nil, err
	}
	if step == res.StartStep && found {
		// A run already at opt.Steps whose weights are missing or older (a
		// kill after its last checkpoint): the loss log and the weights are
		// written from that checkpoint; nothing is trained.
		if err := writeLosses(run, cfg, res.Losses); err != nil {
			return nil, err
		}
		fmt.Fprintf(logw, "the run is at step %d already: writing its loss log and weights (no training)\n", step)
	}
	if sig != nil {
		return nil, &Interrupted{Dir: opt.Dir, Step: step, Signal: sig}
	}
	if !interrupted && step > 0 {
		res.WeightsPath = filepath.Join(opt.Dir, weightsName)
		prov := NewProvenance(cfg, res, opt.Command)
		prov.Init = initPath
		if opt.Guidance > 0 && cfg.NumClasses > 0 {
			w := opt.Guidance
			prov.Guidance = &w
			if !opt.GuidanceInterval.IsZero() {
				iv := opt.GuidanceInterval
				prov.GuidanceInterval = &iv
			}
		}
		if err := trained.SaveRun(run, weightsName, store, cfg, prov); err != nil {
			return nil, err
		}
	}
	return res, nil
}
