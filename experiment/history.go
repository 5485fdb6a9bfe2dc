package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
)

// Change is a change of a run's configuration on resume, recorded in the
// run folder's history.json and in the provenance of its weights. Only a
// lower learning rate may change (the way out of a divergence).
type Change struct {
	Step int64  `json:"step"` // the step the run resumed from
	Date string `json:"date"`
	// LearningRate is [old, new].
	LearningRate [2]float64 `json:"learning_rate"`
}

const historyName = "history.json"

// ParseRunJSON reads the configuration stored as run.json in a run folder.
func ParseRunJSON(raw []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("run.json is not a run configuration: %v", err)
	}
	if _, err := c.WithDefaults(); err != nil {
		return Config{}, fmt.Errorf("run.json: %w", err)
	}
	return c, nil
}

// amendLR is the ckpt.OpenRunAmend hook of Train: a run.json that differs
// from cfg only by a higher learning rate is accepted (old is set to it);
// any other difference is refused, naming the fields.
func amendLR(dir string, cfg Config, old *Config) func(have []byte) error {
	return func(have []byte) error {
		prev, err := ParseRunJSON(have)
		if err != nil {
			return fmt.Errorf("%s: %w: delete the folder to start over, or choose another", filepath.Join(dir, "run.json"), err)
		}
		same := prev
		same.LearningRate = cfg.LearningRate
		diff, err := configDiff(same, cfg)
		if err != nil {
			return err
		}
		if diff != "" {
			return fmt.Errorf("%s holds a different run (its run.json differs in %s): choose another folder, or delete that one to start over", dir, diff)
		}
		if cfg.LearningRate > prev.LearningRate {
			return fmt.Errorf("%s was trained with learning rate %g: a resumed run may only lower it (-lr %g is higher)", dir, prev.LearningRate, cfg.LearningRate)
		}
		if cfg.LearningRate < prev.LearningRate { // else run.json only changes form (a file of an earlier version)
			*old = prev
		}
		return nil
	}
}

// configDiff names the top-level JSON fields in which a and b differ.
func configDiff(a, b Config) (string, error) {
	var ma, mb map[string]json.RawMessage
	for _, x := range []struct {
		c Config
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
func readHistory(dir string) ([]Change, error) {
	raw, err := os.ReadFile(filepath.Join(dir, historyName))
	if os.IsNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var h []Change
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, historyName), err)
	}
	return h, nil
}

// appendHistory records a change in the run folder's history.json.
func appendHistory(run *ckpt.Run, c Change) ([]Change, error) {
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
