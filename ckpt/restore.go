package ckpt

import (
	"encoding/json"
	"fmt"

	"github.com/gomlx/gomlx/ml/model"
)

// Skipped is a checkpoint that [Run.Restore] could not use, and why.
type Skipped struct {
	Path string
	Err  error
}

// Restore loads the newest checkpoint of the run that reads back whole into
// a new store, falling back to older ones when the newest is corrupt (a
// disk error, a file edited by hand); check, when not nil, may refuse a
// checkpoint that loads (say, metadata that does not match the step). It
// returns found = false when no checkpoint was usable (the run starts over),
// and the checkpoints skipped, newest first, so that the caller can say
// which. Skipped files are left in place: the next checkpoint of the same
// step replaces them.
func (r *Run) Restore(check func(store *model.Store, step int64, meta json.RawMessage) error) (store *model.Store, step int64, meta json.RawMessage, skipped []Skipped, found bool, err error) {
	steps, err := r.Steps()
	if err != nil {
		return nil, 0, nil, nil, false, err
	}
	for i := len(steps) - 1; i >= 0; i-- {
		path := r.Path(steps[i])
		st := model.NewStore()
		m, lerr := Load(st, path)
		if lerr == nil && check != nil {
			if cerr := check(st, steps[i], m); cerr != nil {
				lerr = fmt.Errorf("ckpt: %s: %w", path, cerr)
			}
		}
		if lerr != nil {
			skipped = append(skipped, Skipped{Path: path, Err: lerr})
			continue
		}
		return st, steps[i], m, skipped, true, nil
	}
	return nil, 0, nil, skipped, false, nil
}
