package experiment

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/gomlx/compute"
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
	// MaxWall > 0 ends training after this much wall time: the run is
	// checkpointed and its weights written at the step reached (resume it
	// later with the same folder to continue).
	MaxWall time.Duration
	// Devices > 1 trains data-parallel over that many devices of the backend
	// (ddpm.TrainConfig.Devices); the batch must be a multiple of it. Zero
	// means ddpm.DefaultDevices(backend). Checkpoints do not depend on it.
	Devices int
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
	Devices     int // devices each step ran on
}

// Train runs (or resumes) Algorithm 1 for cfg in opt.Dir on backend:
// restores the newest checkpoint if any, trains to opt.Steps, checkpoints
// every opt.CheckpointEvery steps and at the end, and writes loss.csv,
// loss.png and weights.ddpm (the EMA weights, with their provenance).
func Train(backend compute.Backend, cfg Config, opt RunOptions) (*Result, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	if opt.Steps < 1 || opt.Dir == "" {
		return nil, fmt.Errorf("experiment: training needs steps ≥ 1 and a run folder (got %d, %q)", opt.Steps, opt.Dir)
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = max(opt.Steps/10, 1)
	}
	if opt.Keep <= 0 {
		opt.Keep = 3
	}
	sched, _ := ddpm.NewSchedule(cfg.Schedule)
	src, err := NewSource(cfg)
	if err != nil {
		return nil, err
	}
	run, err := ckpt.OpenRun(opt.Dir, cfg, opt.Keep)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	res := &Result{Config: cfg, Store: store, Backend: ddpm.DescribeBackend(backend)}
	if step, path, found, err := run.Latest(); err != nil {
		return nil, err
	} else if found {
		if _, err := ckpt.Load(store, path); err != nil {
			return nil, err
		}
		res.StartStep = step
		if res.Losses, err = readLosses(filepath.Join(opt.Dir, "loss.csv"), step); err != nil {
			return nil, err
		}
	}
	if opt.Devices == 0 {
		opt.Devices = ddpm.DefaultDevices(backend)
	}
	if opt.Devices > 1 && cfg.Batch%opt.Devices != 0 {
		return nil, fmt.Errorf("experiment: batch %d does not split over %d devices: use a multiple of %d (-batch) or fewer devices (-devices)", cfg.Batch, opt.Devices, opt.Devices)
	}
	tcfg := cfg.TrainConfig()
	tcfg.Devices = opt.Devices
	tr, err := ddpm.NewTrainer(backend, store, sched, cfg.Net(), tcfg)
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
	save := func() error {
		if err := run.Save(store, step, map[string]any{"step": step, "backend": ddpm.DescribeBackend(backend)}); err != nil {
			return err
		}
		return writeLosses(opt.Dir, res.Losses)
	}
	interrupted := false
	for step < opt.Steps {
		if opt.StopAfter > 0 && step-res.StartStep >= opt.StopAfter {
			interrupted = true
			break
		}
		if opt.MaxWall > 0 && time.Since(start) > opt.MaxWall {
			break
		}
		x0 := tensors.FromFlatDataAndDimensions(src.Batch(step), dims...)
		loss, _, err := tr.Step(x0)
		if err != nil {
			return nil, fmt.Errorf("experiment: step %d: %w", step+1, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("experiment: loss is %g at step %d: lower -lr or raise -warmup (checkpoint of step %d kept)", loss, step+1, step)
		}
		step++
		res.Losses = append(res.Losses, loss)
		bar.update(step, loss)
		if step%opt.CheckpointEvery == 0 && step < opt.Steps {
			if err := save(); err != nil {
				return nil, err
			}
		}
	}
	bar.done()
	res.Step = step
	res.Wall = time.Since(start)
	if n := step - res.StartStep; n > 0 {
		res.StepsPerSec = float64(n) / res.Wall.Seconds()
	}
	if err := save(); err != nil {
		return nil, err
	}
	if !interrupted && step > 0 {
		res.WeightsPath = filepath.Join(opt.Dir, "weights.ddpm")
		prov := NewProvenance(cfg, res, opt.Command)
		if err := SaveWeights(store, res.WeightsPath, cfg, prov); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// writeLosses writes loss.csv and loss.png (a smoothed curve) in dir.
func writeLosses(dir string, losses []float64) error {
	var buf bytes.Buffer
	buf.WriteString("step,loss\n")
	for i, l := range losses {
		fmt.Fprintf(&buf, "%d,%s\n", i+1, strconv.FormatFloat(l, 'g', -1, 64)) // round-trips exactly
	}
	if err := ckpt.WriteFileAtomic(filepath.Join(dir, "loss.csv"), buf.Bytes()); err != nil {
		return err
	}
	png, err := LossCurve(losses)
	if err != nil {
		return err
	}
	return figs.WriteFile(filepath.Join(dir, "loss.png"), png)
}

// LossCurve plots the per-step loss and its moving average (window 1 % of
// the steps, at least 10) on a log scale.
func LossCurve(losses []float64) ([]byte, error) {
	n := len(losses)
	x, avg := make([]float64, n), make([]float64, n)
	w := max(n/100, 10)
	sum := 0.0
	for i, l := range losses {
		x[i] = float64(i + 1)
		sum += l
		if i >= w {
			sum -= losses[i-w]
		}
		avg[i] = sum / float64(min(i+1, w))
	}
	// A log axis needs a range: with fewer than 2 losses the axis is linear.
	return figs.Lines(figs.Options{Title: "L_simple (Eq. 14) during training", XLabel: "step", YLabel: "loss", LogY: n >= 2},
		figs.Series{Name: "per step", X: x, Y: losses}, figs.Series{Name: fmt.Sprintf("mean of %d", w), X: x, Y: avg})
}

// readLosses reads loss.csv, keeping the steps ≤ upTo (those a checkpoint covers).
func readLosses(path string, upTo int64) ([]float64, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("experiment: %s: %v", path, err)
	}
	var out []float64
	for i, r := range rows {
		if i == 0 || len(r) < 2 {
			continue
		}
		s, err1 := strconv.ParseInt(r[0], 10, 64)
		l, err2 := strconv.ParseFloat(strings.TrimSpace(r[1]), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("experiment: %s line %d: not a step,loss pair", path, i+1)
		}
		if s <= upTo {
			out = append(out, l)
		}
	}
	return out, nil
}

// progress is a one-line progress bar: step, loss (mean of the last 100), steps/s, ETA.
type progress struct {
	w          io.Writer
	start, end int64
	t0, last   time.Time
	recent     []float64
}

func newProgress(w io.Writer, start, end int64) *progress {
	return &progress{w: w, start: start, end: end, t0: time.Now()}
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
	if now.Sub(p.last) < 500*time.Millisecond && step != p.end {
		return
	}
	p.last = now
	mean := 0.0
	for _, l := range p.recent {
		mean += l / float64(len(p.recent))
	}
	rate := float64(step-p.start) / now.Sub(p.t0).Seconds()
	frac := float64(step) / float64(p.end)
	const width = 24
	filled := int(frac * width)
	eta := time.Duration(float64(p.end-step)/rate) * time.Second
	fmt.Fprintf(p.w, "\rstep %d/%d [%s%s] loss %.4f  %.1f steps/s  ETA %s   ", step, p.end,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), mean, rate, eta.Round(time.Second))
}

func (p *progress) done() {
	if p.w != nil && p.last != (time.Time{}) {
		fmt.Fprintln(p.w)
	}
}
