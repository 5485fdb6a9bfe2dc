package ckpt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/gomlx/gomlx/ml/model"
)

// Run is a training run's checkpoint folder: run.json holds the run's
// identity (its configuration, as JSON) and ckpt-<step>.ddpm files hold the
// checkpoints, of which the newest Keep are kept.
type Run struct {
	Dir  string
	Keep int
}

var ckptName = regexp.MustCompile(`^ckpt-(\d+)\.ddpm$`)

// OpenRun opens (or creates) the folder dir for the run whose identity is
// given. A folder that already holds another run (a different run.json) is
// refused, so a run never overwrites another's checkpoints.
func OpenRun(dir string, identity any, keep int) (*Run, error) {
	if keep < 1 {
		return nil, fmt.Errorf("ckpt: keep=%d: at least 1 checkpoint must be kept", keep)
	}
	want, err := json.MarshalIndent(identity, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("ckpt: run identity: %w", err)
	}
	want = append(want, '\n')
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ckpt: cannot create run folder %s: %w", dir, err)
	}
	idPath := filepath.Join(dir, "run.json")
	have, err := os.ReadFile(idPath)
	switch {
	case err == nil:
		if !jsonEqual(have, want) {
			return nil, fmt.Errorf("ckpt: %s holds a different run (its run.json differs from this configuration): choose another folder, or delete that one to start over", dir)
		}
	case os.IsNotExist(err):
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if ckptName.MatchString(e.Name()) {
				return nil, fmt.Errorf("ckpt: %s has checkpoints but no run.json: refusing to mix runs; choose another folder", dir)
			}
		}
		if err := WriteFileAtomic(idPath, want); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("ckpt: %s: %w", idPath, err)
	}
	return &Run{Dir: dir, Keep: keep}, nil
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// Path is the file name of the checkpoint at step.
func (r *Run) Path(step int64) string {
	return filepath.Join(r.Dir, fmt.Sprintf("ckpt-%09d.ddpm", step))
}

// Save writes the checkpoint of step and deletes all but the newest Keep.
func (r *Run) Save(store *model.Store, step int64, meta any) error {
	if err := Save(store, r.Path(step), meta); err != nil {
		return err
	}
	steps, err := r.Steps()
	if err != nil {
		return err
	}
	for len(steps) > r.Keep {
		if err := os.Remove(r.Path(steps[0])); err != nil {
			return fmt.Errorf("ckpt: pruning old checkpoint: %w", err)
		}
		steps = steps[1:]
	}
	return nil
}

// Steps lists the steps that have a checkpoint, oldest first.
func (r *Run) Steps() ([]int64, error) {
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		return nil, fmt.Errorf("ckpt: %s: %w", r.Dir, err)
	}
	var steps []int64
	for _, e := range entries {
		if m := ckptName.FindStringSubmatch(e.Name()); m != nil {
			s, _ := strconv.ParseInt(m[1], 10, 64)
			steps = append(steps, s)
		}
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i] < steps[j] })
	return steps, nil
}

// Latest returns the newest checkpoint's step and path; found is false when
// the run has none.
func (r *Run) Latest() (step int64, path string, found bool, err error) {
	steps, err := r.Steps()
	if err != nil || len(steps) == 0 {
		return 0, "", false, err
	}
	s := steps[len(steps)-1]
	return s, r.Path(s), true, nil
}
