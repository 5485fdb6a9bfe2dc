package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/internal/inputfile"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
)

// maxHistoryJSON bounds the history.json a reader accepts (one short entry
// per resume with a lower learning rate).
const maxHistoryJSON = 16 << 20

// ParseRunJSON reads the configuration stored as run.json in a run folder.
func ParseRunJSON(raw []byte) (recipe.Config, error) {
	var c recipe.Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return recipe.Config{}, fmt.Errorf("run.json is not a run configuration: %v", err)
	}
	if _, err := c.WithDefaults(); err != nil {
		return recipe.Config{}, fmt.Errorf("run.json: %w", err)
	}
	return c, nil
}

// amendLR is the ckpt.OpenRunAmend hook of Train: a run.json that differs
// from cfg only by a higher learning rate is accepted (old is set to it);
// any other difference is refused, naming the fields. A torn run.json (one
// that does not parse) is replaced by the configuration the folder's newest
// checkpoint or weight file records ([recordedConfig]), *rebuiltFrom set to
// that file, and compared in the same way: the same command resumes the run
// and rebuilds run.json; another is refused naming the fields that differ.
func amendLR(dir string, cfg recipe.Config, old *recipe.Config, rebuiltFrom *string) func(have []byte) error {
	return func(have []byte) error {
		idPath := filepath.Join(dir, "run.json")
		prev, err := ParseRunJSON(have)
		torn := ""
		if err != nil {
			rec, from, ok := recordedConfig(dir)
			if !ok {
				return fmt.Errorf("%s: %w, and no checkpoint or weight file in the folder records the run's configuration (written by an earlier version): restore run.json from a copy, train in another folder (Options.Dir), or start a new run from its weights (Options.InitFrom %s)",
					idPath, err, filepath.Join(dir, weightsName))
			}
			prev, torn = rec, from
		}
		same := prev
		same.LearningRate = cfg.LearningRate
		diff, err := configDiff(same, cfg)
		if err != nil {
			return err
		}
		if diff != "" && torn != "" {
			return fmt.Errorf("%s is torn; the run's configuration, recorded in %s, differs from this command's in %s: run the command that started the run to rebuild run.json and resume, or choose another folder (Options.Dir)", idPath, torn, diff)
		}
		if diff != "" {
			return fmt.Errorf("%s holds a different run (its run.json differs in %s): choose another folder, or delete that one to start over", dir, diff)
		}
		if cfg.LearningRate > prev.LearningRate {
			return fmt.Errorf("%s was trained with learning rate %g: a resumed run may only lower it (TrainConfig.LearningRate %g is higher)", dir, prev.LearningRate, cfg.LearningRate)
		}
		if cfg.LearningRate < prev.LearningRate { // else run.json only changes form (a file of an earlier version)
			*old = prev
		}
		*rebuiltFrom = torn
		return nil
	}
}

// recordedConfig is the configuration of the run in dir as its files other
// than run.json record it: the newest checkpoint that holds one (every
// checkpoint does since issue 27), else its weights.ddpm; from names the
// file. ok is false when none does.
func recordedConfig(dir string) (cfg recipe.Config, from string, ok bool) {
	r := &ckpt.Run{Dir: dir}
	steps, _ := r.Steps() // best effort: a folder it cannot list records nothing (ok false)
	for i := len(steps) - 1; i >= 0; i-- {
		raw, err := ckpt.ReadMeta(r.Path(steps[i]))
		var m checkpointMeta
		if err != nil || json.Unmarshal(raw, &m) != nil || len(m.Config) == 0 {
			continue
		}
		if c, err := ParseRunJSON(m.Config); err == nil {
			return c, r.Path(steps[i]), true
		}
	}
	path := filepath.Join(dir, weightsName)
	if h, err := trained.ReadHeader(path); err == nil {
		if c, err := ParseRunJSON(h.Config); err == nil {
			return c, path, true
		}
	}
	return recipe.Config{}, "", false
}

// runConfig is the configuration of the run in dir: its run.json, or, when
// that is torn, the one its checkpoints record ([recordedConfig]); ok is
// false when there is none.
func runConfig(dir string) (recipe.Config, bool) {
	if raw, err := inputfile.ReadFile(filepath.Join(dir, "run.json"), ckpt.MaxRunJSON); err == nil {
		if c, err := ParseRunJSON(raw); err == nil {
			return c, true
		}
		c, _, ok := recordedConfig(dir)
		return c, ok
	}
	return recipe.Config{}, false
}

// configDiff names the top-level JSON fields in which a and b differ.
func configDiff(a, b recipe.Config) (string, error) {
	var ma, mb map[string]json.RawMessage
	for _, x := range []struct {
		c recipe.Config
		m *map[string]json.RawMessage
	}{{a, &ma}, {b, &mb}} {
		j, err := json.Marshal(x.c)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(j, x.m); err != nil {
			return "", err
		}
	}
	var diff []string
	for k, v := range ma {
		if !bytes.Equal(v, mb[k]) {
			diff = append(diff, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	return strings.Join(diff, ", "), nil
}

// readHistory reads a run folder's history.json (none: nil).
func readHistory(dir string) ([]trained.Change, error) {
	raw, err := inputfile.ReadFile(filepath.Join(dir, historyName), maxHistoryJSON)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var h []trained.Change
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, historyName), err)
	}
	return h, nil
}

// appendHistory records a change in the run folder's history.json.
func appendHistory(run *ckpt.Run, c trained.Change) ([]trained.Change, error) {
	h, err := readHistory(run.Dir)
	if err != nil {
		return nil, err
	}
	c.Date = time.Now().UTC().Format(time.RFC3339)
	h = append(h, c)
	raw, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return nil, err
	}
	return h, run.WriteFile(historyName, atomicfile.JSON, append(raw, '\n'))
}
