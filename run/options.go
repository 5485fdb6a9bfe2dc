package run

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
)

// Options say how long and where to train; unlike [recipe.Config] they may
// change between a run and its resumption.
type Options struct {
	// Steps: train until this global step; required ([Plan] completes it).
	Steps int64 `flag:"steps,zerodefault" usage:"train until this step"`
	// Dir: the run folder (checkpoints, loss.csv, loss.png, weights.ddpm);
	// required ([Plan] completes it).
	Dir string `flag:"dir" usage:"run folder (default runs/<data>-<model>-seed<seed>); an existing run there is resumed"`
	// CheckpointEvery: default Steps/10 (at least 1).
	CheckpointEvery int64 `flag:"checkpoint-every,zerodefault" usage:"steps between checkpoints (default steps/10)"`
	// Keep: checkpoints kept; default DefaultKeep.
	Keep     int       `flag:"keep,zerodefault" usage:"checkpoints to keep"`
	Progress io.Writer // progress bar; nil for none.
	Command  string    // the command line, for the weight file's provenance.
	// StopAfter > 0 stops after this many steps of this call without writing
	// the weight file, as an interrupted run would (to test resume).
	StopAfter int64
	// MaxWall > 0 ends training after this much wall time (checked after
	// each step, so a call trains at least one): the run is checkpointed and
	// its weights written at the step reached (resume it later with the same
	// folder to continue).
	MaxWall time.Duration `flag:"max-time,zerodefault" usage:"stop after this wall time (e.g. 8m), checkpointing and writing the weights at the step reached (default: the preset's budget, else no limit)"`
	// Log receives one-line notes: the step resumed from, checkpoints
	// skipped as corrupt, temporary files removed. Nil for none.
	Log io.Writer
	// Devices > 1 trains data-parallel over that many devices of the backend
	// (ddpm.TrainConfig.Devices); the batch must be a multiple of it. Zero
	// means backend.DefaultDevices(backend). Checkpoints do not depend on it.
	Devices int `flag:"devices,zerodefault" usage:"data-parallel over this many devices (default: all GPUs, 1 on CPU)"`
	// InitFrom, for a new run, starts the network from the weights of this
	// weight file (a fine-tune: fresh optimiser, step 0, warm-up again); its
	// network, prediction and variance must be this run's. A run that
	// resumes accepts it only if it started from that same file (the same
	// command resumes); any other -init there is refused.
	InitFrom string `flag:"init" usage:"a new run starts from the network of this weight file (fine-tuning: same model flags; fresh optimiser)"`
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

// DefaultKeep is Options.Keep's default: the checkpoints kept, enough to
// resume from an older one when the newest is found corrupt.
const DefaultKeep = 3

// Validate checks the options' fields (a zero field is its default); the
// error is a *field.Error naming the first one out of range.
func (o Options) Validate() error {
	bad := func(name string, v any, want string) error {
		return field.New("run", "Options", name, v, want)
	}
	switch {
	case o.Steps < 0:
		return bad("Steps", o.Steps, "must be ≥ 1 (0: the default)")
	case o.CheckpointEvery < 0:
		return bad("CheckpointEvery", o.CheckpointEvery, "must be ≥ 1 (0: steps/10)")
	case o.Keep < 0:
		return bad("Keep", o.Keep, fmt.Sprintf("must be ≥ 1 checkpoint (0: %d)", DefaultKeep))
	case o.Devices < 0:
		return bad("Devices", o.Devices, "must be ≥ 1 (0: all GPUs, 1 on CPU)")
	case o.MaxWall < 0:
		return bad("MaxWall", o.MaxWall, "must be > 0 (0: the preset's budget, else no limit)")
	case o.StopAfter < 0:
		return bad("StopAfter", o.StopAfter, "must be ≥ 0")
	case !(o.Guidance >= 0) || o.Guidance > ddpm.MaxGuidance:
		return bad("Guidance", o.Guidance, "must be a finite guidance weight ≥ 0 (0: none named)")
	case o.GuidanceInterval.Validate() != nil:
		return bad("GuidanceInterval", o.GuidanceInterval, "must be σ_lo,σ_hi with 0 ≤ σ_lo < σ_hi")
	case !o.GuidanceInterval.IsZero() && o.Guidance == 0:
		return bad("GuidanceInterval", o.GuidanceInterval, "limits guidance: name a guidance weight too")
	}
	return nil
}
