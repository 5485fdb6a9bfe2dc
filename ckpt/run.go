package ckpt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/internal/fault"
	"github.com/ddpm-go/ddpm-go/internal/inputfile"
	"github.com/gomlx/gomlx/ml/model"
)

// Run is a training run's checkpoint folder: run.json holds the run's
// identity (its configuration, as JSON) and ckpt-<step>.ddpm files hold the
// checkpoints, of which the newest Keep are kept. An open Run holds the
// folder's lock ([LockName]) until [Run.Close].
type Run struct {
	Dir  string
	Keep int
	// Removed lists the temporary files of interrupted writes that OpenRun
	// deleted.
	Removed []string
	lock    *dirLock
}

// MaxRunJSON bounds the size of a run.json a reader accepts (a run's
// configuration is a few KiB): a larger file, or a device or FIFO in its
// place, is refused before it is read (internal/inputfile).
const MaxRunJSON = 1 << 20

var ckptName = regexp.MustCompile(`^ckpt-(\d+)\.ddpm$`)

// A run folder's checkpoints (and those a divergence renamed) are the run's:
// no other command writes them (atomicfile.CheckDest).
func init() {
	diverged := regexp.MustCompile(`^ckpt-\d+\.ddpm\.diverged$`)
	atomicfile.RegisterRunFiles(func(n string) bool { return ckptName.MatchString(n) || diverged.MatchString(n) })
}

// OpenRun opens (or creates) the folder dir for the run whose identity is
// given, and locks it: a second process gets an error wrapping [ErrLocked].
// A folder that already holds another run (a different run.json) is
// refused, so a run never overwrites another's checkpoints; so is a folder
// that holds files but no run.json (it is not a run folder). Temporary files
// left by an interrupted write are deleted.
func OpenRun(dir string, identity any, keep int) (*Run, error) {
	return OpenRunAmend(dir, identity, keep, nil)
}

// OpenRunAmend is [OpenRun] where a run.json that differs from identity is
// passed to amend (under the lock): if amend returns nil, the folder is
// adopted and run.json rewritten with identity; otherwise amend's error is
// returned. With a nil amend any difference is refused.
func OpenRunAmend(dir string, identity any, keep int, amend func(have []byte) error) (*Run, error) {
	if keep < 1 {
		return nil, fmt.Errorf("ckpt: keep=%d: at least 1 checkpoint must be kept", keep)
	}
	want, err := json.MarshalIndent(identity, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("ckpt: run identity: %w", err)
	}
	want = append(want, '\n')
	// Refuse a folder that is not a run folder before creating anything in it.
	if err := CheckRunFolder(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ckpt: cannot create run folder %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Keep: keep, lock: lock}
	if err := r.open(want, amend); err != nil {
		lock.release()
		return nil, err
	}
	return r, nil
}

func (r *Run) open(want []byte, amend func(have []byte) error) error {
	dir := r.Dir
	if err := CheckRunFolder(dir); err != nil { // again, under the lock
		return err
	}
	// Fail now, not at the first checkpoint, in a folder we cannot write.
	if err := atomicfile.CheckWritable(filepath.Join(dir, "run.json")); err != nil {
		return fmt.Errorf("ckpt: run folder %s is not writable: %w", dir, err)
	}
	removed, err := atomicfile.RemoveTemps(dir)
	if err != nil {
		return fmt.Errorf("ckpt: removing temporary files in %s: %w", dir, err)
	}
	r.Removed = removed
	idPath := filepath.Join(dir, "run.json")
	have, err := inputfile.ReadFile(idPath, MaxRunJSON)
	switch {
	case err == nil:
		if jsonEqual(have, want) {
			return nil
		}
		if amend == nil {
			return fmt.Errorf("ckpt: %s holds a different run (its run.json differs from this configuration): choose another folder, or delete that one to start over", dir)
		}
		if err := amend(have); err != nil {
			return err
		}
		return r.WriteFile("run.json", atomicfile.JSON, want)
	case errors.Is(err, os.ErrNotExist):
		return r.WriteFile("run.json", atomicfile.JSON, want)
	default:
		return fmt.Errorf("ckpt: %w", err)
	}
}

// CheckRunFolder refuses, without changing anything, a folder that cannot
// be a run folder: a file, or a folder that holds files but no run.json
// (only the lock file and temporary files may be there without one: a run
// killed right after it created the folder). A missing folder is fine.
func CheckRunFolder(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return fmt.Errorf("ckpt: %s is a file, not a run folder", dir)
		}
		return fmt.Errorf("ckpt: run folder %s: %w", dir, err)
	}
	var others []string
	for _, e := range entries {
		switch n := e.Name(); {
		case n == "run.json":
			return nil
		case n == LockName || atomicfile.IsTemp(n):
		default:
			others = append(others, n)
		}
	}
	if len(others) == 0 {
		return nil
	}
	sort.Strings(others)
	if len(others) > 3 {
		others = append(others[:3], "…")
	}
	return fmt.Errorf("ckpt: %s holds files (%s) but no run.json: it is not a run folder, and training there could overwrite them; choose another folder", dir, strings.Join(others, ", "))
}

// Close releases the folder's lock.
func (r *Run) Close() { r.lock.release() }

// WriteFile writes one of the run's own files, name in its folder (loss.csv,
// history.json, …), atomically, under atomicfile.WriteOwned's rules: it may
// replace a torn or corrupt file of the run, but not a folder, device, FIFO
// or socket. The caller must hold the run open.
func (r *Run) WriteFile(name string, kind atomicfile.Kind, data []byte) error {
	if err := atomicfile.WriteOwned(r.Dir, filepath.Join(r.Dir, name), kind, data); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	return nil
}

// SaveFile is [SaveFiltered] of store to the run's own file name (its
// weights, say) under the rules of [Run.WriteFile].
func (r *Run) SaveFile(name string, store *model.Store, meta any, keep func(*model.Variable) bool) error {
	path := filepath.Join(r.Dir, name)
	raw, err := encode(store, path, meta, keep)
	if err != nil {
		return err
	}
	return r.WriteFile(name, atomicfile.DDPM, raw)
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, errx := json.Marshal(x) // values json.Unmarshal made always marshal
	ya, erry := json.Marshal(y)
	return errx == nil && erry == nil && bytes.Equal(xa, ya)
}

// Path is the file name of the checkpoint at step.
func (r *Run) Path(step int64) string {
	return filepath.Join(r.Dir, fmt.Sprintf("ckpt-%09d.ddpm", step))
}

// Save writes the checkpoint of step and deletes all but the newest Keep. A
// variable holding a NaN or an infinity is an error wrapping [ErrNonFinite]
// (nothing written, nothing pruned).
func (r *Run) Save(store *model.Store, step int64, meta any) error {
	if err := r.SaveFile(filepath.Base(r.Path(step)), store, meta, nil); err != nil {
		return err
	}
	steps, err := r.Steps()
	if err != nil {
		return err
	}
	fault.Point("ckpt-before-prune")
	for len(steps) > r.Keep {
		if err := os.Remove(r.Path(steps[0])); err != nil && !os.IsNotExist(err) {
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
			s, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("ckpt: %s: step out of range: not a checkpoint of this program, move it out of %s", e.Name(), r.Dir)
			}
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
