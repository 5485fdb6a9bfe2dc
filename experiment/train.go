package experiment

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/internal/fault"
	"github.com/ddpm-go/ddpm-go/internal/inputfile"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// RunOptions say how long and where to train; unlike [Config] they may
// change between a run and its resumption.
type RunOptions struct {
	Steps           int64     // train until this global step; required.
	Dir             string    // run folder (checkpoints, loss.csv, loss.png, weights.ddpm); required.
	CheckpointEvery int64     // default Steps/10 (at least 1).
	Keep            int       // checkpoints kept; default 3.
	Progress        io.Writer // progress bar; nil for none.
	Command         string    // the command line, for the weight file's provenance.
	// StopAfter > 0 stops after this many steps of this call without writing
	// the weight file, as an interrupted run would (to test resume).
	StopAfter int64
	// MaxWall > 0 ends training after this much wall time (checked after
	// each step, so a call trains at least one): the run is checkpointed and
	// its weights written at the step reached (resume it later with the same
	// folder to continue).
	MaxWall time.Duration
	// Log receives one-line notes: the step resumed from, checkpoints
	// skipped as corrupt, temporary files removed. Nil for none.
	Log io.Writer
	// Devices > 1 trains data-parallel over that many devices of the backend
	// (ddpm.TrainConfig.Devices); the batch must be a multiple of it. Zero
	// means ddpm.DefaultDevices(backend). Checkpoints do not depend on it.
	Devices int
	// InitFrom, for a new run, starts the network from the weights of this
	// weight file (a fine-tune: fresh optimiser, step 0, warm-up again); its
	// network, prediction and variance must be this run's. A run that
	// resumes accepts it only if it started from that same file (the same
	// command resumes); any other -init there is refused.
	InitFrom string
	// Interrupt, when not nil, is watched after every step (signal.Notify
	// with SIGINT and SIGTERM): on a signal the run finishes the step,
	// writes its checkpoint, ends the progress line and returns an
	// [*Interrupted].
	Interrupt <-chan os.Signal
	// Guidance, for a class-conditional run, is the guidance weight w its
	// weight file names as its default for sampling (Provenance.Guidance;
	// [Plan] sets a preset's); 0 names none.
	Guidance float64
	// GuidanceInterval is the noise levels that default guidance applies at
	// (Provenance.GuidanceInterval); the zero value: every step.
	GuidanceInterval ddpm.GuidanceInterval
}

// Result summarises a training call.
type Result struct {
	Config      Config
	StartStep   int64     // step resumed from (0 for a new run)
	Step        int64     // step reached
	Losses      []float64 // loss of every step of the run so far, index = step − 1
	Wall        time.Duration
	StepsPerSec float64
	WeightsPath string // EMA weights with provenance (after the last step)
	Store       *model.Store
	Backend     string
	Devices     int      // devices each step ran on
	History     []Change // configuration changes on resume (a lowered learning rate)
}

// Train runs (or resumes) Algorithm 1 for cfg in opt.Dir on backend:
// runs every check first ([Prepare]: nothing is created when one fails),
// restores the newest checkpoint if any, trains to opt.Steps, checkpoints
// every opt.CheckpointEvery steps and at the end, and writes loss.csv,
// loss.png and weights.ddpm (the EMA weights, with their provenance).
func Train(backend compute.Backend, cfg Config, opt RunOptions) (*Result, error) {
	p, err := Prepare(backend, cfg, opt)
	if err != nil {
		return nil, err
	}
	return p.Train()
}

// Train runs the checked run (see [Train]).
func (p *Prepared) Train() (*Result, error) {
	backend, cfg, opt, sched, src := p.backend, p.cfg, p.opt, p.sched, p.src
	var err error
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	var prev Config        // the run.json found, when it had a higher learning rate
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
	res := &Result{Config: cfg, Backend: ddpm.DescribeBackend(backend)}
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
		return nil, fmt.Errorf("experiment: no usable checkpoint in %s (all %d are corrupt): delete the folder to start over", opt.Dir, len(skipped))
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
			return nil, fmt.Errorf("experiment: %s: metadata: %w", run.Path(step0), err)
		}
		initPath = m.Init
		if opt.InitFrom != "" && m.InitSHA256 != p.initDigest {
			return nil, fmt.Errorf("experiment: -init %s: %s already holds a run at step %d that did not start from it: leave out -init to resume it, or choose a new folder (-dir)", opt.InitFrom, opt.Dir, step0)
		}
		res.StartStep = step0
		if res.Losses, err = checkpointLosses(meta, step0); err != nil { // checked by Restore's callback
			return nil, fmt.Errorf("experiment: %s: %w", run.Path(step0), err)
		}
		if res.Losses == nil { // a checkpoint of an earlier version: the losses are in loss.csv
			res.Losses = legacyLosses(filepath.Join(opt.Dir, "loss.csv"), step0, logw)
		}
		fmt.Fprintf(logw, "resuming from step %d (%s)\n", step0, run.Path(step0))
	}
	res.Store = store
	if prev.LearningRate != 0 {
		fmt.Fprintf(logw, "learning rate lowered from %g to %g at step %d (recorded in %s)\n", prev.LearningRate, cfg.LearningRate, res.StartStep, historyName)
		if _, err := appendHistory(run, Change{Step: res.StartStep, LearningRate: [2]float64{prev.LearningRate, cfg.LearningRate}}); err != nil {
			return nil, err
		}
	}
	if res.History, err = readHistory(opt.Dir); err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	tcfg := cfg.TrainConfig
	tcfg.Devices = opt.Devices
	tr, err := newTrainer(backend, store, sched, cfg, tcfg)
	if err != nil {
		return nil, err
	}
	res.Devices = tr.Devices()
	if got := tr.GlobalStep(); got != res.StartStep {
		return nil, fmt.Errorf("experiment: checkpoint of step %d holds global step %d: corrupt run folder %s", res.StartStep, got, opt.Dir)
	}
	dims := append([]int{cfg.Batch}, cfg.ExampleDims()...)
	bar := newProgress(opt.Progress, res.StartStep, opt.Steps)
	start := time.Now()
	step := res.StartStep
	defer bar.done()
	// Each checkpoint carries the loss of every step up to it, so that
	// loss.csv (written after it, and killed writes included) is rebuilt from
	// the checkpoint a run resumes from: one row per step, always. Step 0 has
	// no checkpoint (the store has no step counter yet: a run resumed from it
	// could not read it back), and a checkpoint already written is not
	// written again. Weights that became NaN or infinite are never written:
	// the run stops as diverged.
	cfgJSON, err := json.Marshal(cfg) // run.json's content, kept in every checkpoint
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	savedAt := res.StartStep
	if !found {
		savedAt = -1
	}
	save := func() error {
		if step == 0 || step == savedAt {
			return nil
		}
		meta := checkpointMeta{Step: step, Backend: ddpm.DescribeBackend(backend), Losses: res.Losses, Init: initPath, InitSHA256: p.initDigest, Config: cfgJSON}
		if err := run.Save(store, step, meta); errors.Is(err, ckpt.ErrNonFinite) {
			bar.done()
			return diverged(run, cfg, step, step+1, fmt.Sprintf("the weights after step %d hold a NaN or an infinity", step))
		} else if err != nil {
			return err
		}
		savedAt = step
		fault.Point("experiment-before-loss-log") // tests: a kill between the checkpoint and the loss log
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
			return nil, fmt.Errorf("experiment: step %d: %w", step+1, err)
		}
		if bad, since, why := watch.observe(step+1, loss); bad {
			bar.done()
			return nil, diverged(run, cfg, step+1, since, why)
		}
		step++
		res.Losses = append(res.Losses, loss)
		bar.update(step, loss)
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
	bar.done()
	fault.Point("experiment-end")
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
		if err := saveRunWeights(run, store, cfg, prov); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// initError is err, about the -init file path, as one line that names the
// flag once: "experiment: -init PATH: what is wrong" or "experiment: -init
// PATH is a FIFO (named pipe), not a regular file".
func initError(path string, err error) error {
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "experiment: "), "ckpt: ")
	if rest, ok := strings.CutPrefix(msg, path+": "); ok {
		msg = ": " + rest
	} else if rest, ok := strings.CutPrefix(msg, path+" "); ok {
		msg = " " + rest
	} else {
		msg = ": " + msg
	}
	return &reworded{fmt.Sprintf("experiment: -init %s%s", path, msg), err}
}

// initStore is the store of a new run started from the weight file path,
// whose network must be cfg's and whose weights must be finite.
func initStore(cfg Config, path string) (*model.Store, error) {
	m, err := LoadWeights(path)
	if err != nil {
		return nil, initError(path, err)
	}
	a, b := m.Config, cfg
	if !reflect.DeepEqual(a.Network, b.Network) || a.Prediction != b.Prediction || a.LearnVariance != b.LearnVariance || a.NumClasses != b.NumClasses {
		return nil, fmt.Errorf("experiment: -init %s: its network differs from this run's: the model, its sizes, -prediction, -learn-variance and -cond must match", path)
	}
	return m.Store, nil
}

// writeLosses writes loss.csv and loss.png (a smoothed curve) in the run's folder.
func writeLosses(run *ckpt.Run, cfg Config, losses []float64) error {
	var buf bytes.Buffer
	buf.WriteString("step,loss\n")
	for i, l := range losses {
		if math.IsNaN(l) {
			continue // a step whose loss an earlier version's loss.csv lost
		}
		fmt.Fprintf(&buf, "%d,%s\n", i+1, strconv.FormatFloat(l, 'g', -1, 64)) // round-trips exactly
	}
	if err := run.WriteFile(lossLogName, atomicfile.CSV, buf.Bytes()); err != nil {
		return err
	}
	png, err := LossCurve(cfg, losses)
	if err != nil {
		return err
	}
	return run.WriteFile(lossCurveName, atomicfile.PNG, png)
}

// LossCurve plots the per-step loss of a run of cfg (named by
// [Config.LossName]) and its moving average (window 1 % of the steps, at
// least 10) on a log scale.
func LossCurve(cfg Config, losses []float64) ([]byte, error) {
	losses = slices.DeleteFunc(slices.Clone(losses), math.IsNaN) // placeholders of lost rows
	n := len(losses)
	x, avg := make([]float64, n), make([]float64, n)
	w := max(n/100, 10)
	positive := true
	for i, l := range losses {
		x[i] = float64(i + 1)
		// Summed afresh for each step: a running sum loses everything to
		// cancellation once a diverging loss reaches 1e30 (its mean went
		// negative and the log axis panicked).
		sum := 0.0
		for _, v := range losses[max(i+1-w, 0) : i+1] {
			sum += v
		}
		avg[i] = sum / float64(min(i+1, w))
		positive = positive && l > 0 && avg[i] > 0 && !math.IsInf(avg[i], 0)
	}
	// A log axis needs a range: with fewer than 2 losses the axis is linear.
	return figs.Lines(figs.Options{Title: cfg.LossName() + " during training", XLabel: "step", YLabel: "loss", LogY: n >= 2 && positive},
		figs.Series{Name: "per step", X: x, Y: losses}, figs.Series{Name: fmt.Sprintf("mean of %d", w), X: x, Y: avg})
}

// readLosses reads loss.csv, keeping the steps ≤ upTo (those a checkpoint covers).
func readLosses(path string, upTo int64) ([]float64, error) {
	f, _, err := inputfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	defer f.Close()
	losses, err := ParseLosses(f, upTo)
	if err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", path, err)
	}
	return losses, nil
}

// ParseLosses reads a loss log ("step,loss" then one row per step, steps
// 1, 2, … in order) and returns the losses of the steps ≤ upTo. A row out
// of order, a missing step, or a loss that is not a finite number is an
// error naming the line.
func ParseLosses(r io.Reader, upTo int64) ([]float64, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	cr.ReuseRecord = true
	var out []float64
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("not a step,loss table: %v", err)
		}
		if line == 1 {
			if rec[0] != "step" || rec[1] != "loss" {
				return nil, fmt.Errorf("line 1 is %q, want the header step,loss", strings.Join(rec, ","))
			}
			continue
		}
		s, err1 := strconv.ParseInt(rec[0], 10, 64)
		l, err2 := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		switch {
		case err1 != nil || err2 != nil:
			return nil, fmt.Errorf("line %d: not a step,loss pair", line)
		case s != int64(line-1):
			return nil, fmt.Errorf("line %d holds step %d, want %d (rows lost or out of order)", line, s, line-1)
		case math.IsNaN(l) || math.IsInf(l, 0):
			return nil, fmt.Errorf("line %d: loss %g is not a finite number", line, l)
		}
		if s > upTo {
			return out, nil
		}
		out = append(out, l)
	}
}

// progress is a one-line progress bar: step, loss (mean of the last 100),
// steps/s and ETA. The rate is measured from the end of the first step of
// the call, which includes compiling the step (the first ETA of an MNIST
// run used to read 53 h).
type progress struct {
	w          io.Writer
	first, end int64 // first: the step after which the rate is measured
	t0, last   time.Time
	recent     []float64
}

func newProgress(w io.Writer, start, end int64) *progress {
	return &progress{w: w, first: -1, end: end}
}

func (p *progress) update(step int64, loss float64) {
	if p.w == nil {
		return
	}
	p.recent = append(p.recent, loss)
	if len(p.recent) > 100 {
		p.recent = p.recent[1:]
	}
	now := time.Now()
	if p.first < 0 {
		p.first, p.t0 = step, now
	}
	if now.Sub(p.last) < 500*time.Millisecond && step != p.end {
		return
	}
	p.last = now
	mean := 0.0
	for _, l := range p.recent {
		mean += l / float64(len(p.recent))
	}
	frac := float64(step) / float64(p.end)
	const width = 24
	filled := min(max(int(frac*width), 0), width)
	speed := "compiled"
	if n, dt := step-p.first, now.Sub(p.t0).Seconds(); n > 0 && dt > 0 {
		rate := float64(n) / dt
		eta := time.Duration(float64(p.end-step) / rate * float64(time.Second))
		speed = fmt.Sprintf("%.1f steps/s  ETA %s", rate, eta.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\rstep %d/%d [%s%s] loss %.4f  %s   ", step, p.end,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), mean, speed)
}

// done ends the bar's line (once), so that what follows starts a new line.
func (p *progress) done() {
	if p.w != nil && p.last != (time.Time{}) {
		fmt.Fprintln(p.w)
		p.last = time.Time{}
	}
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
func StepsFor(backend compute.Backend, cfg Config, d time.Duration, probe int) (steps int64, rate float64, err error) {
	cfg, err = cfg.WithDefaults()
	if err != nil {
		return 0, 0, err
	}
	src, err := NewSource(cfg)
	if err != nil {
		return 0, 0, err
	}
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

// newTrainer is the trainer of cfg: class-conditional when cfg.NumClasses > 0.
func newTrainer(backend compute.Backend, store *model.Store, sched *ddpm.Schedule, cfg Config, tcfg ddpm.TrainConfig) (*ddpm.Trainer, error) {
	if cfg.NumClasses > 0 {
		return ddpm.NewCondTrainer(backend, store, sched, cfg.Network.CondNet(), tcfg)
	}
	return ddpm.NewTrainer(backend, store, sched, cfg.Network.Net(), tcfg)
}

// trainStep runs the training step of step's batch of src (with its labels
// for a class-conditional cfg) and returns the loss.
func trainStep(tr *ddpm.Trainer, src Source, cfg Config, step int64, dims []int) (float64, error) {
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

// reworded is an error with a clearer message than the one it wraps
// (errors.Is and errors.As still see the wrapped one).
type reworded struct {
	msg string
	err error
}

func (e *reworded) Error() string { return e.msg }
func (e *reworded) Unwrap() error { return e.err }
