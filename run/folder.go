package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/internal/inputfile"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
)

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
		return st, fmt.Errorf("run: run folder %s: %w", dir, err)
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
func checkFolder(cfg recipe.Config, opt Options) (folderState, error) {
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
			return folderState{}, fmt.Errorf("run: configuration: %w", err)
		}
		if !jsonSame(have, want) {
			var prev recipe.Config
			var from string
			if err := amendLR(dir, cfg, &prev, &from)(have); err != nil {
				return folderState{}, err
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return folderState{}, fmt.Errorf("run: %w", err)
	}
	for _, n := range []string{"run.json", weightsName, lossLogName, lossCurveName, historyName, ckpt.LockName} {
		kind := map[string]atomicfile.Kind{weightsName: atomicfile.DDPM, lossLogName: atomicfile.CSV, lossCurveName: atomicfile.PNG}[n]
		if kind == 0 {
			kind = atomicfile.JSON
		}
		p := filepath.Join(dir, n)
		if n == ckpt.LockName {
			if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
				return folderState{}, fmt.Errorf("run: %s is not a regular file: the run folder cannot be locked", p)
			}
			continue
		}
		if err := atomicfile.CheckOwned(dir, p, kind); err != nil {
			return folderState{}, fmt.Errorf("run: run folder %s: %w", dir, err)
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
func (st folderState) check(opt Options, initDigest string) error {
	dir := st.dir
	if len(st.ckpts) == 0 {
		// After a divergence before any kept checkpoint, starting over (with
		// a lower -lr) is the way on that the divergence message gives.
		if len(st.outputs) > 0 && (!st.diverged || contains(st.outputs, weightsName)) {
			return fmt.Errorf("run: %s holds %s but no checkpoint (ckpt-*.ddpm) to resume from: training there would start over at step 0 and overwrite them; train in a new folder (Options.Dir), or start a new run from its weights (Options.InitFrom %s)",
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
		why := "a run resumes from its checkpoints; Options.InitFrom starts a new one"
		if meta.Init != "" {
			why = fmt.Sprintf("that run started from another weight file, %s", meta.Init)
		}
		return fmt.Errorf("run: Options.InitFrom %s: %s already holds a run at step %d (%s): leave out Options.InitFrom to resume it, or choose a new folder (Options.Dir) to start from %s",
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
	h, err := trained.ReadHeader(path)
	return err == nil && h.Provenance.Steps == step
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
	return fmt.Sprintf("%s is already at step %d (asked for %d): nothing to do, nothing changed; a larger Options.Steps trains it further", e.Dir, e.Step, e.Steps)
}
