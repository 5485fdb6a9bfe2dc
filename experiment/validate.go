package experiment

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/nets"
)

// Bounds on a configuration's sizes. They are far above any useful network
// on this project's data, and keep a corrupt or hostile run.json or weight
// file from asking for terabytes (or overflowing int) before anything is
// checked against the data.
const (
	maxWidth    = 1 << 16 // MLP hidden width, embedding widths, data dimension
	maxLayers   = 1024
	maxBase     = 4096 // U-Net base channels
	maxMult     = 64
	maxLevels   = 8
	maxImage    = 4096 // image side
	maxChannels = 64
	maxBatch    = 1 << 20
)

// validate checks c after its defaults are filled, one field at a time: the
// error names the first wrong field (and its flag) and what is allowed.
func (c Config) validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Batch < 1 || c.Batch > maxBatch:
		return fmt.Errorf("batch size %d must lie in [1, %d] (-batch)", c.Batch, maxBatch)
	case !finite(c.LearningRate) || c.LearningRate <= 0:
		return fmt.Errorf("learning rate %g must be a finite number > 0 (-lr)", c.LearningRate)
	case c.WarmupSteps < 0:
		return fmt.Errorf("warm-up %d must be ≥ 0 steps (-warmup)", c.WarmupSteps)
	case !finite(c.GradClip) || c.GradClip < 0:
		return fmt.Errorf("gradient clipping norm %g must be a finite number > 0 (-clip)", c.GradClip)
	case !finite(c.EMADecay) || c.EMADecay < 0 || c.EMADecay >= 1:
		return fmt.Errorf("EMA decay %g must lie in (0, 1) (-ema)", c.EMADecay)
	case c.VLBImportance && (!c.LearnVariance || c.MinSNRGamma != 0):
		return fmt.Errorf("importance-sampled L_vlb (-vlb-importance) trains learned variances (-learn-variance) on the bound itself, without loss weighting (-min-snr)")
	case c.LRDecaySteps < 0:
		return fmt.Errorf("learning-rate decay over %d steps must be ≥ 0 (-lr-decay-steps; 0: none)", c.LRDecaySteps)
	case c.NumClasses != 0 && !(finite(c.PUncond) && c.PUncond > 0 && c.PUncond < 1):
		return fmt.Errorf("p_uncond %g must lie in (0, 1) (-p-uncond)", c.PUncond)
	case c.MinSNRGamma != 0 && !(finite(c.MinSNRGamma) && c.MinSNRGamma > 0):
		return fmt.Errorf("min-SNR γ %g must be a positive finite number, or 0 for no weighting (-min-snr)", c.MinSNRGamma)
	}
	if c.Schedule.T < 1 || c.Schedule.T > ddpm.MaxT {
		return fmt.Errorf("T=%d diffusion steps must lie in [1, %d] (-T)", c.Schedule.T, ddpm.MaxT)
	}
	switch c.Model {
	case "mlp":
		return validateMLP(c.MLP)
	case "unet":
		return validateUNet(c.UNet)
	}
	return nil
}

func validateMLP(m nets.MLPConfig) error {
	switch {
	case m.Hidden < 1 || m.Hidden > maxWidth:
		return fmt.Errorf("MLP hidden width %d must lie in [1, %d] (-hidden)", m.Hidden, maxWidth)
	case m.Layers < 1 || m.Layers > maxLayers:
		return fmt.Errorf("MLP layers %d must lie in [1, %d]", m.Layers, maxLayers)
	case m.EmbedDim < 4 || m.EmbedDim > maxWidth || m.EmbedDim%2 != 0:
		return fmt.Errorf("MLP time embedding width %d must be even and lie in [4, %d]", m.EmbedDim, maxWidth)
	case m.Dim != 2:
		return fmt.Errorf("MLP data dimension %d: the 2-D toys need 2", m.Dim)
	}
	return nil
}

func validateUNet(u nets.UNetConfig) error {
	switch {
	case u.Base < 1 || u.Base > maxBase:
		return fmt.Errorf("U-Net base channels %d must lie in [1, %d] (-base)", u.Base, maxBase)
	case len(u.Mults) > maxLevels:
		return fmt.Errorf("U-Net has %d levels, at most %d allowed", len(u.Mults), maxLevels)
	case u.Groups < 1 || u.Groups > u.Base*maxMult:
		return fmt.Errorf("U-Net GroupNorm groups %d must lie in [1, %d] and divide every level's channel count (-groups)", u.Groups, u.Base*maxMult)
	case u.ImageSize < 1 || u.ImageSize > maxImage:
		return fmt.Errorf("U-Net image size %d must lie in [1, %d]", u.ImageSize, maxImage)
	case u.InChannels < 1 || u.InChannels > maxChannels:
		return fmt.Errorf("U-Net input channels %d must lie in [1, %d]", u.InChannels, maxChannels)
	case u.TimeEmbedDim > maxWidth:
		return fmt.Errorf("U-Net time embedding width %d must be ≤ %d", u.TimeEmbedDim, maxWidth)
	case math.IsNaN(u.Dropout) || u.Dropout < 0 || u.Dropout >= 1:
		return fmt.Errorf("dropout %g must lie in [0, 1) (-dropout)", u.Dropout)
	}
	for _, m := range u.Mults {
		if m < 1 || m > maxMult {
			return fmt.Errorf("U-Net channel multipliers %v must lie in [1, %d] (-mults)", u.Mults, maxMult)
		}
	}
	if L := len(u.Mults); u.ImageSize%(1<<(L-1)) != 0 {
		return fmt.Errorf("U-Net with %d levels (-mults %s) halves the image side %d times, but %d is not a multiple of %d: use fewer levels",
			L, strings.Trim(strings.ReplaceAll(fmt.Sprint(u.Mults), " ", ","), "[]"), L-1, u.ImageSize, 1<<(L-1))
	}
	for l, m := range u.Mults {
		if (u.Base*m)%u.Groups != 0 {
			return fmt.Errorf("U-Net level %d has %d channels (-base %d × -mults %d), not a multiple of the %d GroupNorm groups (-groups)", l, u.Base*m, u.Base, m, u.Groups)
		}
	}
	if err := u.Validate(); err != nil {
		return err
	}
	var res []int
	for l := range u.Mults {
		res = append(res, u.ImageSize>>l)
	}
	for _, r := range u.AttentionRes {
		if !slices.Contains(res, r) {
			return fmt.Errorf("attention resolution %d is not one of the U-Net's resolutions %s (-attention)", r, strings.Trim(fmt.Sprint(res), "[]"))
		}
	}
	return nil
}
