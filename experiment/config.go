// Package experiment trains and samples DDPMs end to end: typed
// configuration, data sources, a training loop with checkpoints, exact
// resume and a loss curve, and weight files with their provenance. The CLI
// (cmd/ddpm) and the notebooks are thin layers over it.
package experiment

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/nets"
)

// Image datasets; every other Data name is a 2-D toy of package data.
const (
	MNIST        = "mnist"
	FashionMNIST = "fashion-mnist"
	CIFAR10      = "cifar10"
)

// ModelKind names an ε-network architecture.
type ModelKind string

// The networks of package nets.
const (
	MLP  ModelKind = "mlp"  // nets.MLPConfig, for 2-D data
	UNet ModelKind = "unet" // nets.UNetConfig, for images
)

// Config is what defines a training run: two runs with equal Configs and
// seeds on the same backend produce bit-identical weights. It is stored as
// run.json in the run folder and inside every weight file.
type Config struct {
	// Data: a 2-D toy (swissroll, moons, 8gaussians, checkerboard, circles)
	// or mnist, fashion-mnist, cifar10. Default swissroll.
	Data string `json:"data"`
	// DataDir holds the IDX or CIFAR-10 files; for mnist it defaults to the
	// copy inside the GoMNIST Go module.
	DataDir string `json:"data_dir,omitempty"`
	// Model: MLP (default for 2-D data) or UNet (default for images).
	Model ModelKind       `json:"model"`
	MLP   nets.MLPConfig  `json:"mlp"`
	UNet  nets.UNetConfig `json:"unet"`
	// Schedule: default Ho et al.'s linear schedule, T = 1000.
	Schedule ddpm.ScheduleConfig `json:"schedule"`
	// Prediction: what the network outputs, written "eps" (default), "x0" or "v".
	Prediction ddpm.Prediction `json:"prediction"`
	// Batch size; default 1024 for 2-D data (the reference MLP's batch, testdata/REFERENCES.md), 128 for images (Ho et al.).
	Batch int `json:"batch"`
	// Optimiser (see ddpm.TrainConfig): defaults LR 1e-3 for the MLP, 2e-4
	// for the U-Net (Ho et al.), warm-up 100/1000 steps, clipping at 1 and
	// EMA 0.995/0.9999 (2-D runs are short, so a shorter EMA).
	LearningRate float64 `json:"learning_rate"`
	WarmupSteps  int     `json:"warmup_steps"`
	GradClip     float64 `json:"grad_clip"`
	EMADecay     float64 `json:"ema_decay"`
	Seed         int64   `json:"seed"`
	// MinSNRGamma > 0 weights the loss by min-SNR-γ (ddpm.MinSNRWeights);
	// default 0, unweighted L_simple.
	MinSNRGamma float64 `json:"min_snr_gamma,omitempty"`
	// LearnVariance trains Σ_θ with L_hybrid (Nichol & Dhariwal 2021; see
	// ddpm.LHybrid): the network outputs twice the data's channels and
	// sampling and the NLL use ddpm.Learned. Default false (σ_t² fixed).
	LearnVariance bool `json:"learn_variance,omitempty"`
	// VLBImportance (with LearnVariance) trains on L_vlb alone with t
	// importance-sampled (ddpm.ImportanceSample); default false (L_hybrid).
	VLBImportance bool `json:"vlb_importance,omitempty"`
	// EMAWarmup and LRDecaySteps: see ddpm.TrainConfig's EMAWarmup and
	// DecaySteps (short runs); default off.
	EMAWarmup    bool `json:"ema_warmup,omitempty"`
	LRDecaySteps int  `json:"lr_decay_steps,omitempty"`
	// NumClasses > 0 trains a class-conditional network for classifier-free
	// guidance (ddpm.Guided): the data's labels, each replaced by the null
	// label with probability PUncond (default ddpm.DefaultPUncond). It must
	// equal the data's class count (DataClasses). Default 0.
	NumClasses int     `json:"num_classes,omitempty"`
	PUncond    float64 `json:"p_uncond,omitempty"`
}

// DataClasses is the number of labels of the data set name: 10 for the
// image data sets, 8 for 8gaussians (the mode), 0 for the unlabelled toys.
func DataClasses(name string) int {
	switch name {
	case MNIST, FashionMNIST, CIFAR10:
		return 10
	case "8gaussians":
		return 8
	}
	return 0
}

// IsImage says whether the dataset is an image dataset.
func (c Config) IsImage() bool {
	return slices.Contains([]string{MNIST, FashionMNIST, CIFAR10}, c.Data)
}

// WithDefaults fills the zero fields with their defaults and checks the
// configuration; the error says which field is wrong and what is allowed.
func (c Config) WithDefaults() (Config, error) {
	if c.Data == "" {
		c.Data = "swissroll"
	}
	if !c.IsImage() {
		if _, err := data.Toy2D(c.Data); err != nil {
			return c, fmt.Errorf("experiment: unknown data %q: use one of %s, %s, %s, %s", c.Data, strings.Join(data.ToyNames(), ", "), MNIST, FashionMNIST, CIFAR10)
		}
	}
	if c.Model == "" {
		c.Model = MLP
		if c.IsImage() {
			c.Model = UNet
		}
	}
	img := c.IsImage()
	switch c.Model {
	case MLP:
		if img {
			return c, fmt.Errorf("experiment: model mlp is for 2-D data, not %s: use -model unet", c.Data)
		}
		c.MLP = c.MLP.WithDefaults()
		if c.LearnVariance {
			c.MLP.OutDim = 2 * c.MLP.Dim // the prediction, then Σθ's v
		} else if c.MLP.OutDim != c.MLP.Dim {
			return c, fmt.Errorf("experiment: MLP OutDim=%d differs from Dim=%d: leave it zero (learn_variance sets it)", c.MLP.OutDim, c.MLP.Dim)
		}
	case UNet:
		if !img {
			return c, fmt.Errorf("experiment: model unet is for images, not the 2-D toy %s: use -model mlp", c.Data)
		}
		if c.Data == CIFAR10 {
			if c.UNet.InChannels == 0 {
				c.UNet.InChannels = 3
			}
			if c.UNet.ImageSize == 0 {
				c.UNet.ImageSize = 32
			}
		}
		c.UNet = c.UNet.WithDefaults() // checked by validate, with the other fields
		if c.LearnVariance {
			c.UNet.OutChannels = 2 * c.UNet.InChannels // the prediction, then Σθ's v
		} else if c.UNet.OutChannels != c.UNet.InChannels {
			return c, fmt.Errorf("experiment: U-Net OutChannels=%d differs from InChannels=%d: leave it zero (learn_variance sets it)", c.UNet.OutChannels, c.UNet.InChannels)
		}
	default:
		return c, fmt.Errorf("experiment: unknown model %q: use mlp or unet", c.Model)
	}
	if c.NumClasses != 0 {
		switch k := DataClasses(c.Data); {
		case k == 0:
			return c, fmt.Errorf("experiment: %s has no labels: class-conditional training (-cond) needs mnist, fashion-mnist, cifar10 or 8gaussians", c.Data)
		case c.NumClasses != k:
			return c, fmt.Errorf("experiment: num_classes=%d but %s has %d labels", c.NumClasses, c.Data, k)
		}
		c.MLP.NumClasses, c.UNet.NumClasses = c.NumClasses, c.NumClasses
		if c.PUncond == 0 {
			c.PUncond = ddpm.DefaultPUncond
		}
	} else if c.MLP.NumClasses != 0 || c.UNet.NumClasses != 0 || c.PUncond != 0 {
		return c, fmt.Errorf("experiment: the network has labels or p_uncond is set but num_classes is 0: set num_classes (-cond)")
	}
	if _, err := c.Prediction.MarshalText(); err != nil {
		return c, err
	}
	// Kind and T are stored in run.json and weight files; the other fields
	// stay zero (their defaults, filled by ddpm.NewSchedule).
	if c.Schedule.Kind == "" {
		c.Schedule.Kind = ddpm.DefaultScheduleKind
	}
	if c.Schedule.T == 0 {
		c.Schedule.T = ddpm.DefaultT
	}
	if c.Schedule.T > ddpm.MaxT || c.Schedule.T < 0 {
		return c, fmt.Errorf("experiment: T=%d diffusion steps must lie in [1, %d] (-T)", c.Schedule.T, ddpm.MaxT)
	}
	if _, err := ddpm.NewSchedule(c.Schedule); err != nil {
		return c, err
	}
	if c.Batch == 0 {
		c.Batch = map[bool]int{true: 128, false: 1024}[img]
	}
	if c.LearningRate == 0 {
		c.LearningRate = map[bool]float64{true: 2e-4, false: 1e-3}[img]
	}
	if c.WarmupSteps == 0 {
		c.WarmupSteps = map[bool]int{true: 1000, false: 100}[img]
	}
	if c.GradClip == 0 {
		c.GradClip = 1
	}
	if c.EMADecay == 0 {
		c.EMADecay = map[bool]float64{true: 0.9999, false: 0.995}[img]
	}
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("experiment: %w", err)
	}
	return c, nil
}

// Net is the configuration's ε-network.
func (c Config) Net() ddpm.Net {
	if c.Model == UNet {
		return c.UNet.Net()
	}
	return c.MLP.Net()
}

// NumParameters is the network's parameter count.
func (c Config) NumParameters() int {
	if c.Model == UNet {
		return c.UNet.NumParameters()
	}
	return c.MLP.NumParameters()
}

// Variance is the reverse variance the model samples with and is bounded
// by: ddpm.Learned for a learned-variance model, else fixed (β_t).
func (c Config) Variance() ddpm.VarianceKind {
	if c.LearnVariance {
		return ddpm.Learned
	}
	return ddpm.FixedLarge
}

// ExampleDims are the dimensions of one example: [2] or [H, W, C].
func (c Config) ExampleDims() []int {
	if c.Model == UNet {
		return []int{c.UNet.ImageSize, c.UNet.ImageSize, c.UNet.InChannels}
	}
	return []int{c.MLP.Dim}
}

// TrainConfig is the ddpm.TrainConfig of c.
func (c Config) TrainConfig() ddpm.TrainConfig {
	return ddpm.TrainConfig{Prediction: c.Prediction, LearningRate: c.LearningRate, WarmupSteps: c.WarmupSteps, GradClip: c.GradClip,
		EMADecay: c.EMADecay, EMAWarmup: c.EMAWarmup, DecaySteps: c.LRDecaySteps, Seed: c.Seed, MinSNRGamma: c.MinSNRGamma,
		LearnVariance: c.LearnVariance, VLBImportance: c.VLBImportance, NumClasses: c.NumClasses, PUncond: c.PUncond}
}

// CondNet is the class-conditional network of a configuration with
// NumClasses > 0 (Net is the same network at the null label).
func (c Config) CondNet() ddpm.CondNet {
	if c.Model == UNet {
		return c.UNet.CondNet()
	}
	return c.MLP.CondNet()
}
