// Package recipe is what defines a training run, as data: its typed
// configuration ([Config]: the data, the network, the schedule, the
// objective and the optimiser), completed and checked once
// ([Config.WithDefaults]), the named recipes a reader runs ([Preset]), and
// the reading of a recipe's image data set ([LoadImages]). It trains and
// samples nothing: package trained is a model trained from a recipe,
// package run a training of one in a folder.
package recipe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/nets"
)

// Names of image data sets of package data's registry, for presets and
// tests; what a data set is (image or toy, dims, labels) the registry says.
const (
	MNIST        = "mnist"
	FashionMNIST = "fashion-mnist"
)

// Config is what defines a training run: two runs with equal Configs and
// seeds on the same backend produce bit-identical weights. It is stored as
// run.json in the run folder and inside every weight file. It is made of
// the package configurations it holds — the network's (a nets.Network) and
// ddpm.TrainConfig (embedded: its fields are Config's) — and the data;
// each field's default is stated once, by the package that owns it.
type Config struct {
	// Data: a data set of package data's registry (data.Names): a 2-D toy
	// (swissroll, moons, 8gaussians, checkerboard, circles) or an image set
	// (mnist, fashion-mnist, cifar10). Default swissroll.
	Data string `json:"data" flag:"data" usage:"data set"`
	// DataDir holds an image set's files (data.Dataset.Files); for a set
	// that ships a copy (mnist: the GoMNIST Go module's) it may be empty.
	DataDir string `json:"data_dir,omitempty" flag:"data-dir" usage:"folder of the image files"`
	// Network is the ε-network and its configuration, one of the networks
	// registered in package nets (nets.Names); nil is the data's default:
	// nets.UNetConfig{} for images, nets.MLPConfig{} for points. Stored as
	// "model": its name and, under that name, its configuration.
	Network nets.Network `json:"-"`
	// Schedule: default Ho et al.'s linear schedule, T = 1000.
	Schedule ddpm.ScheduleConfig `json:"schedule"`
	// Batch is the batch size; zero takes the data's base preset's
	// (BasePreset: 1024 for points, 128 for images).
	Batch int `json:"batch" flag:"batch,zerodefault" usage:"batch size"`
	// TrainConfig is the objective and the optimiser. Its zero fields take
	// the data's base preset's values (BasePreset), then ddpm's defaults.
	// Devices is not part of a run's identity (run.Options.Devices sets it).
	ddpm.TrainConfig
}

// MaxBatch bounds Config.Batch (a hostile run.json must not ask for terabytes).
const MaxBatch = 1 << 20

// DataClasses is the number of labels of the data set name, as it
// declares it in package data's registry (data.Dataset.Classes): 10 for the
// image data sets, 8 for 8gaussians (the mode), 0 for the unlabelled toys
// and unknown names.
func DataClasses(name string) int {
	d, err := data.Lookup(name)
	if err != nil {
		return 0
	}
	return d.Classes
}

// IsImageData says whether the registered data set name holds images.
func IsImageData(name string) bool {
	d, err := data.Lookup(name)
	return err == nil && d.IsImage()
}

// DataDims are the dimensions of one example of the data set name, as it
// declares them in package data's registry: [H, W, C] for images, [2] for
// the 2-D toys (and unknown names).
func DataDims(name string) []int {
	d, err := data.Lookup(name)
	if err != nil {
		return []int{2}
	}
	return d.Dims
}

// IsImage says whether the configuration's data are images.
func (c Config) IsImage() bool { return IsImageData(c.Data) }

// ModelName is the registry name of the configuration's network ("" when
// none is set yet).
func (c Config) ModelName() string {
	if c.Network == nil {
		return ""
	}
	return c.Network.Name()
}

// Spec is what the data and the objective of c ask of its network.
func (c Config) Spec() nets.Spec {
	s := nets.Spec{Dims: DataDims(c.Data), OutFactor: 1, NumClasses: c.NumClasses}
	if c.LearnVariance {
		s.OutFactor = 2 // the prediction, then Σθ's v
	}
	return s
}

// WithDefaults fills the zero fields with their defaults and checks the
// configuration; the error says which field is wrong and what is allowed
// (a *field.Error for a field out of range).
func (c Config) WithDefaults() (Config, error) {
	if c.Data == "" {
		c.Data = "swissroll"
	}
	img := c.IsImage()
	if _, err := data.Lookup(c.Data); err != nil {
		return c, fmt.Errorf("recipe: unknown data %q: use one of %s", c.Data, strings.Join(data.Names(), ", "))
	}
	if c.Network == nil {
		c.Network = nets.UNetConfig{}
		if !img {
			c.Network = nets.MLPConfig{}
		}
	}
	if nets.IsImageNet(c.Network.Name()) != img {
		want := strings.Join(nets.Names(img), " or ")
		return c, fmt.Errorf("recipe: network %s is not for %s: use %s", c.Network.Name(), c.Data, want)
	}
	if c.NumClasses != 0 {
		switch k := DataClasses(c.Data); {
		case k == 0:
			return c, fmt.Errorf("recipe: %s has no labels: class-conditional training needs labelled data: %s", c.Data, strings.Join(data.LabelledNames(), ", "))
		case c.NumClasses != k:
			return c, field.New("recipe", "Config", "NumClasses", c.NumClasses, "contradicts %s's %d labels", c.Data, k)
		}
	}
	base := baseConfig(c.Data)
	if c.Batch == 0 {
		c.Batch = base.Batch
	}
	c.TrainConfig = fillZero(c.TrainConfig, base.TrainConfig).WithDefaults()
	if err := c.TrainConfig.Validate(); err != nil {
		return c, err
	}
	if c.Batch < 1 || c.Batch > MaxBatch {
		return c, field.New("recipe", "Config", "Batch", c.Batch, "must lie in [1, %d]", MaxBatch)
	}
	net, err := c.Network.For(c.Spec())
	if err != nil {
		return c, err
	}
	c.Network = net
	// Kind and T are stored in run.json and weight files; the other fields
	// stay zero (their defaults, filled by ddpm.NewSchedule).
	if c.Schedule.Kind == "" {
		c.Schedule.Kind = ddpm.DefaultScheduleKind
	}
	if c.Schedule.T == 0 {
		c.Schedule.T = ddpm.DefaultT
	}
	if _, err := ddpm.NewSchedule(c.Schedule); err != nil {
		return c, err
	}
	return c, nil
}

// The configurations of the base presets (BasePreset), whose batch and
// optimiser fill a configuration's zero ones: "points" for the 2-D toys,
// "ho2020" (Ho et al. 2020's image recipe) for images.
var (
	pointsBase = Config{Data: "swissroll", Batch: 1024, TrainConfig: ddpm.TrainConfig{LearningRate: 1e-3, WarmupSteps: 100, GradClip: 1, EMADecay: 0.995}}
	imagesBase = Config{Data: MNIST, Batch: 128, TrainConfig: ddpm.TrainConfig{LearningRate: 2e-4, WarmupSteps: 1000, GradClip: 1, EMADecay: 0.9999}}
)

// baseConfig is the configuration of the data's base preset ([BasePreset]).
func baseConfig(data string) Config {
	if IsImageData(data) {
		return imagesBase
	}
	return pointsBase
}

// fillZero returns t with the zero optimiser fields of the recipe t set from base's.
func fillZero(t, base ddpm.TrainConfig) ddpm.TrainConfig {
	if t.LearningRate == 0 {
		t.LearningRate = base.LearningRate
	}
	if t.WarmupSteps == 0 {
		t.WarmupSteps = base.WarmupSteps
	}
	if t.GradClip == 0 {
		t.GradClip = base.GradClip
	}
	if t.EMADecay == 0 {
		t.EMADecay = base.EMADecay
	}
	return t
}

// NumParameters is the network's parameter count.
func (c Config) NumParameters() int { return c.Network.NumParameters() }

// ExampleDims are the dimensions of one example: [2] or [H, W, C].
func (c Config) ExampleDims() []int { return c.Network.ExampleDims() }

// Variance is the reverse variance the model samples with and is bounded
// by: ddpm.Learned for a learned-variance model, else fixed (β_t).
func (c Config) Variance() ddpm.VarianceKind {
	if c.LearnVariance {
		return ddpm.Learned
	}
	return ddpm.FixedLarge
}

// LossName names the loss a run of c minimises, for plots and logs:
// "L_simple (Eq. 14)" for the unweighted ε-target of Ho et al., else the
// target and its weighting ("v-target MSE, min-SNR-5 weights"), L_hybrid
// for learned variances, L_vlb for importance-sampled bounds.
func (c Config) LossName() string {
	switch {
	case c.VLBImportance:
		return "L_vlb, importance-sampled t (Nichol & Dhariwal §3.1)"
	case c.LearnVariance:
		return fmt.Sprintf("L_hybrid = %s-target MSE + λ L_vlb (Nichol & Dhariwal Eq. 16)", c.Prediction)
	case c.Prediction == ddpm.PredictEps && c.MinSNRGamma == 0:
		return "L_simple (Eq. 14)"
	case c.MinSNRGamma == 0:
		return fmt.Sprintf("%s-target MSE", c.Prediction)
	}
	return fmt.Sprintf("%s-target MSE, min-SNR-%g weights (Hang et al. 2023)", c.Prediction, c.MinSNRGamma)
}

// configJSON is Config without its methods, for its JSON encoding.
type configJSON Config

// MarshalJSON writes c with its network as "model": name and, under the
// key name, the network's configuration (as weight files have always
// stored the U-Net and the MLP).
func (c Config) MarshalJSON() ([]byte, error) {
	raw, err := json.Marshal(configJSON(c))
	if err != nil {
		return nil, err
	}
	if c.Network == nil {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	name := c.Network.Name()
	if m["model"], err = json.Marshal(name); err != nil {
		return nil, err
	}
	if m[name], err = json.Marshal(c.Network); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes, and the files of earlier
// versions, which stored both "mlp" and "unet" configurations (the one not
// named by "model" is ignored). Unknown fields are refused.
func (c *Config) UnmarshalJSON(raw []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	var name string
	if v, ok := m["model"]; ok {
		if err := json.Unmarshal(v, &name); err != nil {
			return fmt.Errorf("model: %v", err)
		}
	}
	rest := map[string]json.RawMessage{}
	for k, v := range m {
		switch {
		case k == "model":
		case name != "" && k == name:
		case (k == "mlp" || k == "unet") && name != k: // an earlier version's unused network
		default:
			rest[k] = v
		}
	}
	body, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	var cj configJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cj); err != nil {
		return err
	}
	*c = Config(cj)
	if name != "" {
		if c.Network, err = nets.Decode(name, m[name]); err != nil {
			return err
		}
	}
	return nil
}
