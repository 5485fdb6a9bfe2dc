package run

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/recipe"
)

// checkpointMeta is the metadata of a training checkpoint.
type checkpointMeta struct {
	Step    int64     `json:"step"`
	Backend string    `json:"backend"`
	Losses  []float64 `json:"losses"` // loss of every step ≤ Step, index = step − 1
	// Init and InitSHA256 name the weight file a run started from (-init)
	// and its SHA-256, so that the same command resumes the run and another
	// -init is refused; empty for a run started from scratch.
	Init       string `json:"init,omitempty"`
	InitSHA256 string `json:"init_sha256,omitempty"`
	// Config is the run's configuration, run.json's content, so that a torn
	// run.json is rebuilt from the newest checkpoint (see [recordedConfig]);
	// absent from checkpoints of earlier versions.
	Config json.RawMessage `json:"config,omitempty"`
}

// checkpointLosses returns the losses a checkpoint's metadata carries: nil
// for a checkpoint of an earlier version (none stored), an error when they
// do not cover exactly its steps.
func checkpointLosses(meta json.RawMessage, step int64) ([]float64, error) {
	var m struct {
		Step   *int64    `json:"step"`
		Losses []float64 `json:"losses"`
	}
	if err := json.Unmarshal(meta, &m); err != nil {
		return nil, fmt.Errorf("metadata: %v", err)
	}
	if m.Step == nil || *m.Step != step {
		return nil, fmt.Errorf("metadata is not that of step %d", step)
	}
	if m.Losses == nil {
		return nil, nil
	}
	if int64(len(m.Losses)) != step {
		return nil, fmt.Errorf("metadata holds %d losses for %d steps", len(m.Losses), step)
	}
	for i, l := range m.Losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("metadata: loss of step %d is %g", i+1, l)
		}
	}
	return m.Losses, nil
}

// legacyLosses reads the losses of steps 1…step from loss.csv, for a
// checkpoint of an earlier version. Rows it lacks (a run killed between
// the checkpoint and the log) become NaN: loss.csv then skips them instead
// of renumbering the rows after them.
func legacyLosses(path string, step int64, logw io.Writer) []float64 {
	losses, err := readLosses(path, step)
	if err != nil || int64(len(losses)) < step {
		if err == nil {
			err = fmt.Errorf("%d of %d rows", len(losses), step)
		}
		fmt.Fprintf(logw, "loss log %s is incomplete (%v): the missing steps stay out of it\n", path, err)
	}
	for int64(len(losses)) < step {
		losses = append(losses, math.NaN())
	}
	return losses
}

// diverged renames the checkpoints written from step since−1 on (their
// weights produced the diverging losses) to ckpt-….ddpm.diverged, so that a
// resume starts from the last checkpoint before the divergence, and returns
// the one-line error that says so and how to go on.
func diverged(run *ckpt.Run, cfg recipe.Config, step, since int64, why string) error {
	steps, err := run.Steps()
	if err != nil {
		return fmt.Errorf("run: training diverged at step %d (%s), and the checkpoints of %s could not be listed (%v): delete those from step %d on before resuming", step, why, run.Dir, err, since-1)
	}
	var kept int64 = -1
	for _, s := range steps {
		if s < since-1 {
			kept = s
			continue
		}
		if err := rename(run.Path(s), run.Path(s)+".diverged"); err != nil {
			// A resume would start from this diverged checkpoint: say so, and how to go on.
			return fmt.Errorf("run: training diverged at step %d (%s), but its checkpoint %s could not be set aside (%v): delete it (and any later one) before resuming, or a resume starts from diverged weights", step, why, run.Path(s), err)
		}
	}
	lower := cfg.LearningRate / 10
	where := fmt.Sprintf("kept the checkpoint of step %d, the last before it; resume from it with a lower learning rate: the same command with TrainConfig.LearningRate %g", kept, lower)
	if kept < 0 {
		where = fmt.Sprintf("no checkpoint from before it remains; start over with a lower learning rate: the same command with TrainConfig.LearningRate %g", lower)
	}
	if since < step {
		return fmt.Errorf("run: training diverged at step %d (from step %d, %s): %s (in %s)", step, since, why, where, filepath.Clean(run.Dir))
	}
	return fmt.Errorf("run: training diverged at step %d (%s): %s (in %s)", step, why, where, filepath.Clean(run.Dir))
}

// rename is os.Rename (a variable so that a test can make it fail).
var rename = os.Rename
