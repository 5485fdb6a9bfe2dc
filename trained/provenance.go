package trained

import "github.com/ddpm-go/ddpm-go/ddpm"

// Provenance says where a weight file comes from.
type Provenance struct {
	Command     string             `json:"command,omitempty"`
	Steps       int64              `json:"steps"`
	Batch       int                `json:"batch"`
	Seed        int64              `json:"seed"`
	Parameters  int                `json:"parameters"`
	Backend     string             `json:"backend"`
	Devices     int                `json:"devices,omitempty"` // data-parallel devices of the last training call
	Hardware    string             `json:"hardware"`
	WallSeconds float64            `json:"wall_seconds"` // of the last training call (a resumed run's earlier calls are not included)
	StepsPerSec float64            `json:"steps_per_sec"`
	FinalLoss   float64            `json:"final_loss"` // mean of the last 100 steps
	Commit      string             `json:"commit,omitempty"`
	GoVersion   string             `json:"go_version"`
	Date        string             `json:"date"`
	Weights     string             `json:"weights"` // "ema" or "raw"
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	History     []Change           `json:"history,omitempty"` // configuration changes on resume
	Init        string             `json:"init,omitempty"`    // the weight file the run started from (-init)
	// Guidance, for class-conditional weights, is the guidance weight w
	// that `ddpm sample` and `ddpm eval` use when -guidance is not given
	// (the recipe's measured best, see recipe.Preset.Guidance); nil: w = 0.
	Guidance *float64 `json:"guidance,omitempty"`
	// GuidanceInterval limits that default guidance to σ_lo < σ_t ≤ σ_hi
	// ("lo,hi"; Kynkäänniemi et al. 2024); nil: every step.
	GuidanceInterval *ddpm.GuidanceInterval `json:"guidance_interval,omitempty"`
}

// Change is a change of a run's configuration on resume, recorded in the
// run folder's history.json and in the provenance of its weights. Only a
// lower learning rate may change (the way out of a divergence).
type Change struct {
	Step int64  `json:"step"` // the step the run resumed from
	Date string `json:"date"`
	// LearningRate is [old, new].
	LearningRate [2]float64 `json:"learning_rate"`
}
