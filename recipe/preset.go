package recipe

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/nets"
)

// Preset is a named training recipe: the configuration a reader runs,
// stated once here and used by the command line (ddpm train -preset NAME),
// the notebooks, the scripts and the README, which point at it instead of
// restating its numbers (as nanoGPT's config files).
type Preset struct {
	Name string
	Doc  string
	// Config is the recipe; its zero fields take their defaults.
	Config Config
	// Steps is the recipe's training length; 0 when it is a wall-time budget
	// (Minutes) turned into steps on the machine at hand by run.StepsFor.
	Steps int64
	// Minutes is the recipe's wall-time budget on a CPU; 0 for a step budget.
	Minutes float64
	// DecayToEnd: the learning rate decays to 0 at the run's last step
	// (Config.DecaySteps is set to the planned steps by run.Plan).
	DecayToEnd bool
	// Guidance, for a class-conditional recipe, is the classifier-free
	// guidance weight w measured best for it (the README's tables); its
	// weight files name it as their default (Provenance.Guidance), which
	// `ddpm sample`, `ddpm eval` and notebook 05 use unless told otherwise.
	Guidance float64
	// GuidanceInterval limits that guidance to the noise levels
	// σ_lo < σ_t ≤ σ_hi (Kynkäänniemi et al. 2024; the zero value guides at
	// every step); its weight files name it too (Provenance.GuidanceInterval).
	GuidanceInterval ddpm.GuidanceInterval
}

// presets are the named recipes, by name.
var presets = map[string]Preset{
	"points": {Name: "points", Doc: "the 2-D toys' recipe: the reference MLP, batch 1024, Adam 1e-3 with 100 warm-up steps, clipping at 1, EMA 0.995 (2-D runs are short)",
		Config: pointsBase, Steps: 5000},
	"ho2020": {Name: "ho2020", Doc: "Ho et al. (2020)'s image recipe: batch 128, Adam 2e-4 with 1,000 warm-up steps (they used 5,000), clipping at 1, EMA 0.9999",
		Config: imagesBase, Steps: 20000},
	"mnist-gpu": {Name: "mnist-gpu", Doc: "MNIST on a GPU (scripts/gpu-mnist.sh; notebook 05 on CUDA trains its class-conditional twin, mnist-gpu-cond): the base-32 U-Net, batch 128, Adam 5e-4 with 500 warm-up steps and a cosine decay to 0 at the last step, EMA 0.9995 with warm-up, 15,000 steps (2.5 minutes on one H200)",
		Config: Config{Data: MNIST, Network: nets.UNetConfig{Base: 32}, Batch: 128,
			TrainConfig: ddpm.TrainConfig{LearningRate: 5e-4, WarmupSteps: 500, GradClip: 1, EMADecay: 0.9995, EMAWarmup: true}},
		Steps: 15000, DecayToEnd: true},
	"mnist-gpu-cond": {Name: "mnist-gpu-cond", Doc: "mnist-gpu, class-conditional for classifier-free guidance (p_uncond 0.1): the recipe of weights/mnist_cond.ddpm and of notebook 05 on CUDA; its best MNIST-FD is at w = 0 (by_guidance in weights/mnist_cond.json)",
		Config: Config{Data: MNIST, Network: nets.UNetConfig{Base: 32}, Batch: 128,
			TrainConfig: ddpm.TrainConfig{NumClasses: 10, LearningRate: 5e-4, WarmupSteps: 500, GradClip: 1, EMADecay: 0.9995, EMAWarmup: true, PUncond: 0.1}},
		Steps: 15000, DecayToEnd: true},
	"mnist-cpu": {Name: "mnist-cpu", Doc: fmt.Sprintf("MNIST on two CPU cores in ten minutes (notebook 05, the README's \"MNIST on a CPU\"), class-conditional: mnist-cpu-uncond's network and optimiser with a label embedding, trained on the null label with probability p_uncond = %g, sampled with classifier-free guidance w = %g at %s < σ_t ≤ %s by default", pUncondCPU, guidanceCPU, fmtSigma(intervalCPU.Lo), fmtSigma(intervalCPU.Hi)),
		Config: Config{Data: MNIST, Network: s2dCPU, Batch: 32,
			TrainConfig: ddpm.TrainConfig{NumClasses: 10, Prediction: ddpm.PredictV, MinSNRGamma: 5, LearningRate: 4e-3, WarmupSteps: 100, GradClip: 1, EMADecay: 0.999, EMAWarmup: true, PUncond: pUncondCPU}},
		Minutes: 10, DecayToEnd: true, Guidance: guidanceCPU, GuidanceInterval: intervalCPU},
	"mnist-cpu-uncond": {Name: "mnist-cpu-uncond", Doc: "MNIST on two CPU cores in ten minutes, unconditional: the space-to-depth U-Net (s2d-unet, p = 2: the U-Net at 14²×4, base 32, mults 1,2; 494,820 parameters), batch 32, v with min-SNR-5, Adam 4e-3 with 100 warm-up steps and a cosine decay to 0 at the last step, EMA 0.999 with warm-up",
		Config: Config{Data: MNIST, Network: s2dCPU, Batch: 32,
			TrainConfig: ddpm.TrainConfig{Prediction: ddpm.PredictV, MinSNRGamma: 5, LearningRate: 4e-3, WarmupSteps: 100, GradClip: 1, EMADecay: 0.999, EMAWarmup: true}},
		Minutes: 10, DecayToEnd: true},
}

// s2dCPU is the network of the CPU recipes: the space-to-depth U-Net at
// 14²×4 (Hoogeboom et al. 2023), the best five-minute screen of the README's
// "MNIST on a CPU" table.
var s2dCPU = nets.S2DUNetConfig{Patch: 2, UNetConfig: nets.UNetConfig{Base: 32, Mults: []int{1, 2}}}

// The conditional CPU recipe's label-dropping probability and default
// guidance weight, as found by the search in docs/cpu.md.
const (
	pUncondCPU  = 0.1
	guidanceCPU = 0.5
)

// intervalCPU is the noise levels the CPU recipe guides at by default: EDM2's
// interval of Kynkäänniemi et al. (2024, Table 1), 0.28 < σ ≤ 5.42, which
// beat guidance at every step on the ten-minute model (docs/cpu.md).
var intervalCPU = ddpm.GuidanceInterval{Lo: 0.28, Hi: 5.42}

func fmtSigma(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	var n []string
	for k := range presets {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// GetPreset is the preset name.
func GetPreset(name string) (Preset, error) {
	p, ok := presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("recipe: unknown preset %q: use one of %s", name, strings.Join(PresetNames(), ", "))
	}
	return p, nil
}

// MustPreset is [GetPreset] for notebooks and tests: it panics on an unknown name.
func MustPreset(name string) Preset {
	p, err := GetPreset(name)
	if err != nil {
		panic(err)
	}
	return p
}

// BasePreset is the recipe whose values fill a configuration's zero batch
// and optimiser fields (Config.WithDefaults, from its configuration
// baseConfig): "ho2020" for image data, "points" for the 2-D toys.
func BasePreset(data string) Preset {
	if IsImageData(data) {
		return presets["ho2020"]
	}
	return presets["points"]
}
