package experiment

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/internal/inputfile"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// The files a training run writes in its folder besides run.json and its
// checkpoints (package ckpt's): no other command writes them
// (atomicfile.CheckDest refuses them in a folder holding a run.json).
const (
	lossLogName   = "loss.csv"
	lossCurveName = "loss.png"
	weightsName   = "weights.ddpm"
)

func init() {
	atomicfile.RegisterRunFiles(func(n string) bool {
		return n == lossLogName || n == lossCurveName || n == weightsName || n == historyName
	})
}

// Prepared is a training run whose every check has passed ([Prepare]) and
// which has not yet created or changed anything: [Prepared.Train] runs it.
type Prepared struct {
	backend compute.Backend
	budget  time.Duration // Plan's wall budget (opt.MaxWall, else the preset's minutes), before it raised the wall limit
	cfg     Config
	opt     RunOptions
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

// SetInterrupt sets the options' Interrupt channel (RunOptions.Interrupt),
// for a caller that installs its signal handler after [Plan] read the
// inputs, so that a signal while they are read stops the program.
func (p *Prepared) SetInterrupt(c <-chan os.Signal) { p.opt.Interrupt = c }

// Config is the run's configuration with its defaults filled.
func (p *Prepared) Config() Config { return p.cfg }

// Options are the run's options with their defaults filled.
func (p *Prepared) Options() RunOptions { return p.opt }

// Preflight runs every check of a training run — configuration, options,
// data, devices against the batch and the backend, the -init weight file
// (shape and finiteness), the memory the parameters and optimiser state
// need, and the run folder (another run, a lock held, outputs without
// checkpoints, nothing left to do) — and creates nothing. Its errors are
// one line; a run already at opt.Steps is an [*AlreadyDone].
func Preflight(backend compute.Backend, cfg Config, opt RunOptions) error {
	_, err := Prepare(backend, cfg, opt)
	return err
}

// Prepare is [Preflight] returning the checked run, so that the data and the
// -init weights are read once.
func Prepare(backend compute.Backend, cfg Config, opt RunOptions) (*Prepared, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.Steps < 1 || opt.Dir == "" {
		return nil, fmt.Errorf("experiment: training needs steps ≥ 1 and a run folder (got %d, %q)", opt.Steps, opt.Dir)
	}
	if opt.CheckpointEvery == 0 {
		opt.CheckpointEvery = max(opt.Steps/10, 1)
	}
	if opt.Keep == 0 {
		opt.Keep = 3
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
	if p.src, err = NewSource(cfg); err != nil {
		return nil, err
	}
	return p, nil
}

// checkDevices fills opt.Devices (backend.DefaultDevices when 0) and checks it
// against the backend's devices and the batch.
func checkDevices(backend compute.Backend, cfg Config, opt *RunOptions) error {
	if opt.Devices == 0 {
		opt.Devices = backendpkg.DefaultDevices(backend)
	}
	if n := backend.NumDevices(); opt.Devices > n {
		return fmt.Errorf("experiment: %d devices asked for, but the backend %s has %d (-devices)", opt.Devices, backendpkg.Describe(backend), n)
	}
	if opt.Devices > 1 && cfg.Batch%opt.Devices != 0 {
		return fmt.Errorf("experiment: batch %d does not split over %d devices: use a multiple of %d (-batch) or fewer devices (-devices)", cfg.Batch, opt.Devices, opt.Devices)
	}
	return nil
}

// TrainingCopies is how many float32 values per parameter training holds at
// least: the weights, Adam's two moments, the EMA and the gradients.
const TrainingCopies = 5

// MemoryEstimate is a lower bound of the bytes training cfg needs: its
// parameters × TrainingCopies × 4 bytes (float32). Activations, which grow
// with the batch, come on top.
func MemoryEstimate(cfg Config) int64 {
	if c, err := cfg.WithDefaults(); err == nil {
		cfg = c
	}
	return int64(cfg.NumParameters()) * TrainingCopies * 4
}

// availableMemory is the memory this process may still allocate on the
// host, and where the figure comes from; ok is false when unknown. A
// variable so that tests can set it.
var availableMemory = hostAvailableMemory

// checkMemory refuses, on CPU backends, a configuration whose parameters and
// optimiser state alone do not fit in the available memory (GoMLX would die
// later with an allocator error naming its internals). Accelerators'
// memory is not checked.
func checkMemory(backend compute.Backend, cfg Config) error {
	if backendpkg.PlatformOf(backend) == backendpkg.PlatformXLAAccelerator {
		return nil
	}
	need := MemoryEstimate(cfg)
	have, from, ok := availableMemory()
	if !ok || need <= have {
		return nil
	}
	return fmt.Errorf("experiment: this network cannot be trained here: its %s parameters need at least %s (× %d float32 copies: weights, Adam's two moments, EMA, gradients; activations come on top), but %s are available (%s): use a smaller network (-base, -mults, -hidden)",
		count(int64(cfg.NumParameters())), bytesString(need), TrainingCopies, bytesString(have), from)
}

// hostAvailableMemory is MemAvailable of /proc/meminfo, or the room left
// under this process's cgroup v2 memory limit when that is less.
func hostAvailableMemory() (int64, string, bool) {
	have, from, ok := int64(0), "", false
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, found := strings.CutPrefix(sc.Text(), "MemAvailable:"); found {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err == nil {
					have, from, ok = kb<<10, "MemAvailable in /proc/meminfo", true
				}
			}
		}
		f.Close()
	}
	read := func(p string) (int64, bool) {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, false
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return v, err == nil
	}
	if limit, okL := read("/sys/fs/cgroup/memory.max"); okL { // "max" (no limit) does not parse
		if used, okU := read("/sys/fs/cgroup/memory.current"); okU && (!ok || limit-used < have) {
			have, from, ok = max(limit-used, 0), "the cgroup memory limit", true
		}
	}
	return have, from, ok
}

func bytesString(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}

func count(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f billion", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f million", float64(n)/1e6)
	}
	return strconv.FormatInt(n, 10)
}

// folderState is what a run folder holds, read without its lock.
type folderState struct {
	dir      string
	ckpts    []int64 // steps with a checkpoint, oldest first
	outputs  []string
	diverged bool // a ckpt-….ddpm.diverged is there
}

// inspectFolder lists what dir holds (nothing when it does not exist).
func inspectFolder(dir string) (folderState, error) {
	st := folderState{dir: dir}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	} else if err != nil {
		return st, fmt.Errorf("experiment: run folder %s: %w", dir, err)
	}
	r := &ckpt.Run{Dir: dir}
	if st.ckpts, err = r.Steps(); err != nil {
		return st, err
	}
	for _, e := range entries {
		switch n := e.Name(); {
		case n == weightsName || n == lossLogName || n == lossCurveName || n == historyName:
			st.outputs = append(st.outputs, n)
		case strings.HasSuffix(n, ".ddpm.diverged"):
			st.diverged = true
		}
	}
	return st, nil
}

// checkFolder checks, creating and changing nothing, that opt.Dir can hold
// this run: it is missing, or a run folder of cfg (a lower learning rate
// allowed) that no other process holds, and the run's files there can be
// written (no folder or FIFO in their place).
func checkFolder(cfg Config, opt RunOptions) (folderState, error) {
	dir := opt.Dir
	if err := ckpt.CheckRunFolder(dir); err != nil {
		return folderState{}, err
	}
	if err := ckpt.ProbeLock(dir); err != nil {
		return folderState{}, err
	}
	if have, err := inputfile.ReadFile(filepath.Join(dir, "run.json"), ckpt.MaxRunJSON); err == nil {
		want, err := json.Marshal(cfg)
		if err != nil {
			return folderState{}, fmt.Errorf("experiment: configuration: %w", err)
		}
		if !jsonSame(have, want) {
			var prev Config
			var from string
			if err := amendLR(dir, cfg, &prev, &from)(have); err != nil {
				return folderState{}, err
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return folderState{}, fmt.Errorf("experiment: %w", err)
	}
	for _, n := range []string{"run.json", weightsName, lossLogName, lossCurveName, historyName, ckpt.LockName} {
		kind := map[string]atomicfile.Kind{weightsName: atomicfile.DDPM, lossLogName: atomicfile.CSV, lossCurveName: atomicfile.PNG}[n]
		if kind == 0 {
			kind = atomicfile.JSON
		}
		p := filepath.Join(dir, n)
		if n == ckpt.LockName {
			if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
				return folderState{}, fmt.Errorf("experiment: %s is not a regular file: the run folder cannot be locked", p)
			}
			continue
		}
		if err := atomicfile.CheckOwned(dir, p, kind); err != nil {
			return folderState{}, fmt.Errorf("experiment: run folder %s: %w", dir, err)
		}
	}
	return inspectFolder(dir)
}

// jsonSame compares two JSON documents by value.
func jsonSame(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x) // values json.Unmarshal made always marshal
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// check applies the run-folder rules to what the folder holds: outputs
// without a checkpoint are refused (training would start over and
// overwrite them), -init on a run that resumes must be the file the run
// started from, and a run already at opt.Steps with its weights written has
// nothing to do.
func (st folderState) check(opt RunOptions, initDigest string) error {
	dir := st.dir
	if len(st.ckpts) == 0 {
		// After a divergence before any kept checkpoint, starting over (with
		// a lower -lr) is the way on that the divergence message gives.
		if len(st.outputs) > 0 && (!st.diverged || contains(st.outputs, weightsName)) {
			return fmt.Errorf("experiment: %s holds %s but no checkpoint (ckpt-*.ddpm) to resume from: training there would start over at step 0 and overwrite them; train in a new folder (-dir), or start a new run from its weights (-init %s)",
				dir, strings.Join(st.outputs, ", "), filepath.Join(dir, weightsName))
		}
		return nil
	}
	newest := st.ckpts[len(st.ckpts)-1]
	raw, err := ckpt.ReadMeta((&ckpt.Run{Dir: dir}).Path(newest))
	var meta checkpointMeta
	if err == nil {
		err = json.Unmarshal(raw, &meta)
	}
	if err != nil {
		return nil // a corrupt newest checkpoint: Train falls back to an older one and says so
	}
	if opt.InitFrom != "" && meta.InitSHA256 != initDigest {
		why := "a run resumes from its checkpoints; -init starts a new one"
		if meta.Init != "" {
			why = fmt.Sprintf("that run started from another weight file, %s", meta.Init)
		}
		return fmt.Errorf("experiment: -init %s: %s already holds a run at step %d (%s): leave out -init to resume it, or choose a new folder (-dir) to start from %s",
			opt.InitFrom, dir, newest, why, opt.InitFrom)
	}
	if newest >= opt.Steps && weightsOfStep(filepath.Join(dir, weightsName), newest) {
		return &AlreadyDone{Dir: dir, Step: newest, Steps: opt.Steps}
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// weightsOfStep says whether the weight file path exists and was written at
// step (its provenance says so).
func weightsOfStep(path string, step int64) bool {
	raw, err := ckpt.ReadMeta(path)
	if err != nil {
		return false
	}
	var m weightsMeta
	return json.Unmarshal(raw, &m) == nil && m.Format == weightsFormat && m.Provenance.Steps == step
}

// AlreadyDone is the refusal of a training whose run folder is already at
// or past the steps asked for, with its weights written: nothing was done
// and nothing touched. It is not a failure (the CLI exits 0).
type AlreadyDone struct {
	Dir   string
	Step  int64 // the step the run is at
	Steps int64 // the steps asked for
}

func (e *AlreadyDone) Error() string {
	return fmt.Sprintf("%s is already at step %d (asked for %d): nothing to do, nothing changed; a larger -steps trains it further", e.Dir, e.Step, e.Steps)
}

// fileDigest is the SHA-256 of the file at path, in hex.
// It reads the file only if it is a regular file (internal/inputfile):
// hashing -init /dev/zero would never end.
func fileDigest(path string) (string, error) {
	f, _, err := inputfile.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
