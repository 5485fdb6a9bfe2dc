package experiment

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
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
		Backend: r.Backend, Devices: r.Devices, Hardware: Hardware(), WallSeconds: r.Wall.Seconds(), StepsPerSec: r.StepsPerSec,
		Commit: gitCommit(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339), Weights: "ema"}
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

// Hardware describes this machine: CPU model and core count (and the GPU
// when one is visible to nvidia-smi).
func Hardware() string {
	model := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	hw := fmt.Sprintf("%s, %d cores", model, runtime.NumCPU())
	if out, err := exec.Command("nvidia-smi", "--query-gpu=name", "--format=csv,noheader").Output(); err == nil {
		if g := strings.TrimSpace(string(out)); g != "" {
			hw += ", GPU " + strings.ReplaceAll(g, "\n", " + ")
		}
	}
	return hw
}

// gitCommit names the code that runs: the binary's own VCS stamp (with
// "-modified" when it was built from a changed tree), else, for go run and
// go test which stamp none, the HEAD of the current folder's repository. The
// stamp comes first because a binary carried to another machine runs in a
// copy of the repository whose HEAD need not be the one it was built from.
func gitCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, modified := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" && modified {
			return rev + "-modified"
		}
		if rev != "" {
			return rev
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return ""
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
// EMA when it has one — with the run's configuration and provenance.
func SaveWeights(store *model.Store, path string, cfg Config, prov Provenance) error {
	src := store
	if ema, err := ddpm.EMAStore(store); err == nil {
		src = ema
	} else {
		prov.Weights = "raw"
	}
	prefix := "/" + ddpm.NetScope + "/"
	return ckpt.SaveFiltered(src, path, weightsMeta{Format: weightsFormat, Config: cfg, Provenance: prov},
		func(v *model.Variable) bool { return strings.HasPrefix(v.Path(), prefix) })
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
		return nil, fmt.Errorf("experiment: %s is not a ddpm-go weight file (a training checkpoint? use weights.ddpm)", path)
	}
	if meta.Config.Data == MNIST && meta.Config.DataDir != "" {
		if _, err := os.Stat(meta.Config.DataDir); err != nil {
			meta.Config.DataDir = "" // trained elsewhere: MNIST is the GoMNIST module's copy here
		}
	}
	cfg, err := meta.Config.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("experiment: %s: %s", path, strings.TrimPrefix(err.Error(), "experiment: "))
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

// Net is the model's network, reading its variables under /net.
func (m *Model) Net() ddpm.Net { return ddpm.NetIn(m.Config.Net()) }

// Guidance chooses the labels of a class-conditional model's samples and
// the classifier-free guidance weight w (Ho & Salimans 2022, see
// ddpm.Guided).
type Guidance struct {
	// Labels holds one label per example of each sampled batch, or one label
	// for all; nil samples the unconditional model (the null label).
	Labels []int32
	// W ≥ 0 is the guidance weight; 0 is the conditional model alone.
	W float64
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

// Sampler prepares a sampler of kind cfg over the model (cfg.Prediction is
// taken from the model's configuration); a class-conditional model samples
// its unconditional network.
func (m *Model) Sampler(backend compute.Backend, cfg ddpm.SampleConfig) (*ddpm.Sampler, error) {
	return m.GuidedSampler(backend, cfg, Guidance{})
}

// GuidedSampler is [Model.Sampler] with the labels and guidance weight of
// g, for a class-conditional model (trained with NumClasses > 0).
func (m *Model) GuidedSampler(backend compute.Backend, cfg ddpm.SampleConfig, g Guidance) (*ddpm.Sampler, error) {
	net := m.Net()
	if g.Labels != nil || g.W != 0 {
		k := m.Config.NumClasses
		if k == 0 {
			return nil, fmt.Errorf("experiment: %s is an unconditional model (trained without -cond): labels and guidance need a class-conditional one", m.Path)
		}
		if len(g.Labels) == 0 {
			return nil, fmt.Errorf("experiment: guidance w=%g needs labels (classes 0…%d)", g.W, k-1)
		}
		cond := m.Config.CondNet()
		var err error
		net, err = ddpm.Guided(func(scope *model.Scope, xt, t, y *graph.Node) *graph.Node {
			return cond(scope.Store().Scope("/"+ddpm.NetScope), xt, t, y)
		}, k, g.Labels, g.W)
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

// SampleGuided is [Model.Sample] with guidance g (see [Model.GuidedSampler]).
func (m *Model) SampleGuided(backend compute.Backend, cfg ddpm.SampleConfig, g Guidance, n int, seed int64) (x0, snapshots *tensors.Tensor, err error) {
	sm, err := m.GuidedSampler(backend, cfg, g)
	if err != nil {
		return nil, nil, err
	}
	return sm.SampleNoise(backend, append([]int{n}, m.Config.ExampleDims()...), seed)
}
