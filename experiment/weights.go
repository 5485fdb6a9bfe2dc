package experiment

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/provenance"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

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
	// (the recipe's measured best, see Preset.Guidance); nil: w = 0.
	Guidance *float64 `json:"guidance,omitempty"`
	// GuidanceInterval limits that default guidance to σ_lo < σ_t ≤ σ_hi
	// ("lo,hi"; Kynkäänniemi et al. 2024); nil: every step.
	GuidanceInterval *ddpm.GuidanceInterval `json:"guidance_interval,omitempty"`
}

// DefaultGuidance is the guidance weight the weights' provenance names for
// sampling when none is asked for: 0 for unconditional weights or none named.
func (m *Model) DefaultGuidance() float64 {
	if m.Config.NumClasses == 0 || m.Provenance.Guidance == nil {
		return 0
	}
	return *m.Provenance.Guidance
}

// DefaultGuidanceInterval is the noise levels the weights' provenance limits
// default guidance to: the zero value (every step) when it names none.
func (m *Model) DefaultGuidanceInterval() ddpm.GuidanceInterval {
	if m.DefaultGuidance() == 0 || m.Provenance.GuidanceInterval == nil {
		return ddpm.GuidanceInterval{}
	}
	return *m.Provenance.GuidanceInterval
}

// CompleteGuidance fills what a sampling command left out from the weights'
// own defaults: w when wGiven is false, and the interval when intervalGiven
// is false and guidance is on (the recipe's interval was measured with its
// weight). Unconditional sampling takes neither.
func (m *Model) CompleteGuidance(o GuidanceOptions, wGiven, intervalGiven bool) GuidanceOptions {
	if o.Unconditional {
		return o
	}
	if !wGiven {
		o.W = m.DefaultGuidance()
	}
	if !intervalGiven && o.W > 0 {
		o.Interval = m.DefaultGuidanceInterval()
	}
	return o
}

// weightsMeta is the metadata of a weight file.
type weightsMeta struct {
	Format     string     `json:"format"`
	Config     Config     `json:"config"`
	Provenance Provenance `json:"provenance"`
}

const weightsFormat = "ddpm-go weights v1"

// NewProvenance fills a Provenance for the end of a training call.
func NewProvenance(cfg Config, r *Result, command string) Provenance {
	p := Provenance{Command: command, Steps: r.Step, Batch: cfg.Batch, Seed: cfg.Seed, Parameters: cfg.NumParameters(),
		Backend: r.Backend, Devices: r.Devices, Hardware: provenance.Hardware(), WallSeconds: r.Wall.Seconds(), StepsPerSec: r.StepsPerSec,
		Commit: provenance.Commit(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339), Weights: "ema"}
	p.History = r.History
	n := 0
	for _, l := range r.Losses[len(r.Losses)-min(len(r.Losses), 100):] {
		if !math.IsNaN(l) { // NaN: a row an earlier version's loss.csv lost
			p.FinalLoss += l
			n++
		}
	}
	if n > 0 {
		p.FinalLoss /= float64(n)
	}
	return p
}

// RewriteProvenance replaces the provenance of the weight file path by
// edit's change of it (atomically; the weights and configuration are kept):
// for weights trained elsewhere whose record needs a correction, such as a
// run folder path of the machine they were trained on.
func RewriteProvenance(path string, edit func(*Provenance)) error {
	m, err := LoadWeights(path)
	if err != nil {
		return err
	}
	prov := m.Provenance
	edit(&prov)
	return ckpt.Save(m.Store, path, weightsMeta{Format: weightsFormat, Config: m.Config, Provenance: prov})
}

// SaveWeights writes the network weights of a training store to path — its
// EMA when it has one — with the run's configuration and provenance. Weights
// holding a NaN or an infinity are never written (an error wrapping
// ckpt.ErrNonFinite); path follows atomicfile's writing rule (a new file or
// a weight file, never a run folder's own).
func SaveWeights(store *model.Store, path string, cfg Config, prov Provenance) error {
	src, meta, keep := weightsOf(store, cfg, prov)
	return ckpt.SaveFiltered(src, path, meta, keep)
}

// saveRunWeights is [SaveWeights] of a training to its run folder's weights.ddpm.
func saveRunWeights(run *ckpt.Run, store *model.Store, cfg Config, prov Provenance) error {
	src, meta, keep := weightsOf(store, cfg, prov)
	return run.SaveFile(weightsName, src, meta, keep)
}

// weightsOf is what a weight file of store holds: the store to save (its
// EMA when it has one), the metadata, and the filter of the network's variables.
func weightsOf(store *model.Store, cfg Config, prov Provenance) (*model.Store, weightsMeta, func(*model.Variable) bool) {
	src := store
	if ema, err := ddpm.EMAStore(store); err == nil {
		src = ema
	} else {
		prov.Weights = "raw"
	}
	prefix := "/" + ddpm.NetScope + "/"
	return src, weightsMeta{Format: weightsFormat, Config: cfg, Provenance: prov},
		func(v *model.Variable) bool { return strings.HasPrefix(v.Path(), prefix) }
}

// Model is a trained network ready to sample or evaluate.
type Model struct {
	Config     Config
	Provenance Provenance
	Schedule   *ddpm.Schedule
	Store      *model.Store // variables under /net
	Path       string
}

// LoadWeights reads a weight file written by [SaveWeights] (or by training).
func LoadWeights(path string) (*Model, error) {
	raw, err := ckpt.ReadMeta(path)
	if err != nil {
		return nil, err
	}
	var meta weightsMeta
	if err := json.Unmarshal(raw, &meta); err != nil || meta.Format != weightsFormat {
		return nil, fmt.Errorf("experiment: %s %s", path, notWeights(raw))
	}
	if d, err := data.Lookup(meta.Config.Data); err == nil && d.DefaultDir != "" && meta.Config.DataDir != "" {
		if _, err := os.Stat(meta.Config.DataDir); err != nil {
			meta.Config.DataDir = "" // trained elsewhere: the data are the copy that ships (MNIST: the GoMNIST module's) here
		}
	}
	cfg, err := meta.Config.WithDefaults()
	if err != nil { // a bad file, not a bad flag: the error is not wrapped
		return nil, fmt.Errorf("experiment: %s: %s", path, trimPkg(err))
	}
	store := model.NewStore()
	if _, err := ckpt.Load(store, path); err != nil {
		return nil, err
	}
	if err := checkWeights(store, cfg); err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", path, err)
	}
	sched, err := ddpm.NewSchedule(cfg.Schedule)
	if err != nil {
		return nil, err
	}
	return &Model{Config: cfg, Provenance: meta.Provenance, Schedule: sched, Store: store, Path: path}, nil
}

// NLLConfig is the configuration of ddpm.NLL for this model: its
// prediction and reverse variance (learned or fixed, as trained), with the
// bound's noise seed and stride (1: every term).
func (m *Model) NLLConfig(seed int64, stride int) ddpm.NLLConfig {
	return ddpm.NLLConfig{Prediction: m.Config.Prediction, Variance: m.Config.Variance(), Seed: seed, Stride: stride}
}

// notWeights says what a ckpt file that is not a weight file is, from its
// metadata, and what to use instead: the MNIST classifier's weights (read by
// eval -classifier), a run's checkpoint (its folder's weights.ddpm is the
// model), or something else.
func notWeights(meta []byte) string {
	var m struct {
		Format string           `json:"format"`
		Step   *int64           `json:"step"`
		Losses *json.RawMessage `json:"losses"`
	}
	_ = json.Unmarshal(meta, &m)
	switch {
	case m.Format == classifier.MetaFormat:
		return "is the MNIST classifier's weight file (eval -classifier reads it), not a diffusion model: use the weights.ddpm a training wrote (ddpm train)"
	case m.Format == "" && m.Step != nil && m.Losses != nil:
		return fmt.Sprintf("is a training checkpoint (step %d), not a ddpm-go weight file: use the weights.ddpm in its run folder (ddpm train writes it at the end, and -steps %d on that folder writes it from this checkpoint)", *m.Step, *m.Step)
	case m.Format != "":
		return fmt.Sprintf("is a ddpm checkpoint file of format %q, not a ddpm-go weight file: use the weights.ddpm a training wrote", m.Format)
	}
	return "is not a ddpm-go weight file (a training checkpoint? use weights.ddpm)"
}

// Net is the model's network (ddpm's samplers and bound read its
// variables under ddpm.NetScope of Store).
func (m *Model) Net() ddpm.Net { return m.Config.Network.Net() }

// Guidance chooses the labels of a class-conditional model's samples and
// the classifier-free guidance weight w (Ho & Salimans 2022, see
// ddpm.Guided).
type Guidance struct {
	// Labels holds one label per example of each sampled batch, or one label
	// for all; nil samples the unconditional model (the null label).
	Labels []int32
	// W ≥ 0 is the guidance weight; 0 is the conditional model alone.
	W float64
	// Interval limits guidance to the noise levels σ_lo < σ_t ≤ σ_hi
	// (ddpm.GuidanceInterval); the zero value guides at every step.
	Interval ddpm.GuidanceInterval
}

// GuidanceOptions are a sampling command's choice of labels and guidance
// (sample -label, -guidance, -unconditional).
type GuidanceOptions struct {
	// Label ≥ 0 is every sample's label; -1 (or a zero GuidanceOptions of an
	// unconditional model) gives the labels 0, 1, …, k−1, 0, … in turn.
	Label int
	// W is the guidance weight w ≥ 0 (0: the conditional model alone).
	W float64
	// Interval limits guidance to an interval of noise levels
	// (ddpm.GuidanceInterval; zero: every step).
	Interval ddpm.GuidanceInterval
	// Unconditional samples a class-conditional model at the null label.
	Unconditional bool
}

// Guidance is the Guidance of o for n samples of m: none for an
// unconditional model or o.Unconditional, else the labels of o (one label
// for all, or BalancedLabels) with weight o.W. The error names the field of
// o that does not fit the model.
func (m *Model) Guidance(o GuidanceOptions, n int) (Guidance, error) {
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("experiment", "GuidanceOptions", name, v, want, args...)
	}
	k := m.Config.NumClasses
	switch {
	case !(o.W >= 0) || o.W > ddpm.MaxGuidance:
		return Guidance{}, bad("W", o.W, "must be a finite number in [0, %g] (what float32 carries)", ddpm.MaxGuidance)
	case k == 0 && o.Label >= 0:
		return Guidance{}, bad("Label", o.Label, "needs class-conditional weights (ddpm train -cond); %s is unconditional", m.Path)
	case k == 0 && o.W != 0:
		return Guidance{}, bad("W", o.W, "needs class-conditional weights (ddpm train -cond); %s is unconditional", m.Path)
	case k == 0 && o.Unconditional:
		return Guidance{}, bad("Unconditional", o.Unconditional, "needs class-conditional weights (ddpm train -cond); %s is unconditional", m.Path)
	case k == 0 && !o.Interval.IsZero():
		return Guidance{}, bad("Interval", o.Interval, "needs class-conditional weights (ddpm train -cond); %s is unconditional", m.Path)
	case o.Interval.Validate() != nil:
		return Guidance{}, bad("Interval", o.Interval, "must be σ_lo,σ_hi with 0 ≤ σ_lo < σ_hi")
	case !o.Interval.IsZero() && o.W == 0:
		return Guidance{}, bad("Interval", o.Interval, "limits guidance: give a guidance weight w > 0 too")
	case o.Unconditional && (o.Label >= 0 || o.W != 0):
		return Guidance{}, bad("Unconditional", o.Unconditional, "samples the null label: leave out the label and the guidance")
	case o.Label < -1 || o.Label >= max(k, 1):
		return Guidance{}, bad("Label", o.Label, "is not a label of these weights (0…%d)", k-1)
	case k == 0 || o.Unconditional:
		return Guidance{}, nil
	}
	if err := field.CheckFloats("experiment", "GuidanceOptions", o); err != nil {
		return Guidance{}, err
	}
	if o.Label >= 0 {
		return Guidance{Labels: []int32{int32(o.Label)}, W: o.W, Interval: o.Interval}, nil
	}
	return Guidance{Labels: BalancedLabels(n, k), W: o.W, Interval: o.Interval}, nil
}

// BalancedLabels are n labels 0, 1, …, k−1, 0, 1, …: the evaluation's and
// the sample grids' labels for a model of k classes.
func BalancedLabels(n, k int) []int32 {
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(i % k)
	}
	return y
}

// GuidedSampler prepares a sampler of kind cfg over the model (cfg.Prediction
// is taken from the model's configuration) with the labels and guidance
// weight of g, for a class-conditional model (trained with NumClasses > 0);
// with the zero Guidance a class-conditional model samples its
// unconditional network.
func (m *Model) GuidedSampler(backend compute.Backend, cfg ddpm.SampleConfig, g Guidance) (*ddpm.Sampler, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	net := m.Net()
	if g.Labels != nil || g.W != 0 {
		k := m.Config.NumClasses
		if k == 0 {
			return nil, fmt.Errorf("experiment: %s is an unconditional model (trained without -cond): labels and guidance need a class-conditional one", m.Path)
		}
		if len(g.Labels) == 0 {
			return nil, fmt.Errorf("experiment: guidance w=%g needs labels (classes 0…%d)", g.W, k-1)
		}
		var err error
		net, err = ddpm.GuidedWithin(m.Config.Network.CondNet(), k, g.Labels, g.W, g.Interval.Mask(m.Schedule))
		if err != nil {
			return nil, err
		}
	}
	cfg.Prediction = m.Config.Prediction
	if m.Config.LearnVariance {
		if cfg.Variance == ddpm.FixedSmall {
			return nil, fmt.Errorf("experiment: this model learned its reverse variances (learn_variance): a fixed variance does not apply")
		}
		cfg.Variance = ddpm.Learned
	}
	return ddpm.NewSampler(backend, m.Store, m.Schedule, net, cfg)
}

// Sample draws n examples with the sampler cfg from seed; it returns them
// flattened [n, …] and the snapshots (nil unless cfg.SnapshotEvery > 0).
func (m *Model) Sample(backend compute.Backend, cfg ddpm.SampleConfig, n int, seed int64) (x0, snapshots *tensors.Tensor, err error) {
	return m.SampleGuided(backend, cfg, Guidance{}, n, seed)
}

// SampleGuided is [Model.Sample] with guidance g (see [Model.GuidedSampler]),
// in one compiled call (for large n see [Model.SampleMany]). Samples holding
// a NaN or an infinity are an error (they are neither written nor scored).
func (m *Model) SampleGuided(backend compute.Backend, cfg ddpm.SampleConfig, g Guidance, n int, seed int64) (x0, snapshots *tensors.Tensor, err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("experiment: %d samples: at least 1", n)
	}
	sm, err := m.GuidedSampler(backend, cfg, g)
	if err != nil {
		return nil, nil, err
	}
	x0, snapshots, err = sm.SampleNoise(backend, append([]int{n}, m.Config.ExampleDims()...), seed)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFiniteSamples(tensors.MustCopyFlatData[float32](x0), m.Path); err != nil {
		return nil, nil, err
	}
	return x0, snapshots, nil
}

// usable says whether m is a model to sample or evaluate: not nil, with
// weights and a schedule, as LoadWeights returns it (a notebook that
// ignored LoadWeights's error holds a nil *Model).
func (m *Model) usable() error {
	switch {
	case m == nil:
		return fmt.Errorf("experiment: a nil *Model: LoadWeights returns one with its error (check it)")
	case m.Store == nil || m.Schedule == nil || m.Config.Network == nil:
		return fmt.Errorf("experiment: a Model without weights, schedule or network: make it with LoadWeights")
	}
	return nil
}

// trimPkg is err's message without its package prefix ("nets: ", …), for
// an error quoted inside another.
func trimPkg(err error) string {
	s := err.Error()
	for _, p := range []string{"experiment: ", "ddpm: ", "nets: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}
