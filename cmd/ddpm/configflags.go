package main

import (
	"fmt"
	"strings"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/flagbind"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
)

// configFlags registers on f the flags of a run's recipe.Config (ddpm train's) — the data,
// every flag of every registered network (nets.Params), the schedule, the
// objective and optimiser (ddpm.TrainConfig) — and returns the function
// that builds it: the preset's (-preset), each flag given in place of its
// field, completed once by recipe.Config.WithDefaults. Each flag knows the field it sets
// (flagbind), so that a *field.Error of the configuration names the flag.
func configFlags(f *flagbind.Set) func() (recipe.Config, recipe.Preset, error) {
	c := recipe.Config{Schedule: ddpm.ScheduleConfig{Kind: ddpm.DefaultScheduleKind}}
	preset := f.String("preset", "", "start from a named recipe: "+strings.Join(recipe.PresetNames(), ", ")+" (the other flags change it)")
	model := f.String("model", "", fmt.Sprintf("network: %s (images) or %s (points); default unet for images, mlp for points", strings.Join(nets.Names(true), ", "), strings.Join(nets.Names(false), ", ")))
	f.Bind(&c.Data, "data", "Config.Data", fmt.Sprintf("data: %s (points) or %s (images) (default swissroll)", strings.Join(data.ToyNames(), ", "), strings.Join(data.ImageNames(), ", ")), false)
	f.Bind(&c.DataDir, "data-dir", "Config.DataDir", "folder of the image files: "+data.DirHelp(), false)
	netFlags := registerNetFlags(f)
	f.Bind(&c.Schedule.Kind, "schedule", "Config.Schedule.Kind", "noise schedule: linear, cosine, quadratic, sigmoid", false)
	f.Bind(&c.Schedule.T, "T", "Config.Schedule.T", fmt.Sprintf("diffusion steps (default %d)", ddpm.DefaultT), true)
	f.Bind(&c.Schedule.Rescale, "rescale", "Config.Schedule.Rescale", "rescale β_1, β_T by 1000/T", false)
	f.Field("T", "ScheduleConfig.T")
	f.Field("schedule", "ScheduleConfig.Kind")
	f.TextVar(&c.Prediction, "prediction", c.Prediction, "network target: eps, x0 or v")
	f.Field("prediction", "TrainConfig.Prediction")
	const base = " (default: the data's base preset's, %s)"
	f.Bind(&c.Batch, "batch", "Config.Batch", "batch size"+fmt.Sprintf(base, "1024 for points, 128 for images"), true)
	f.Bind(&c.LearningRate, "lr", "TrainConfig.LearningRate", "Adam learning rate"+fmt.Sprintf(base, "1e-3 / 2e-4"), true)
	f.Bind(&c.WarmupSteps, "warmup", "TrainConfig.WarmupSteps", "learning-rate warm-up steps"+fmt.Sprintf(base, "100 / 1000"), true)
	f.Bind(&c.GradClip, "clip", "TrainConfig.GradClip", "gradient clipping global norm"+fmt.Sprintf(base, "1"), true)
	f.Bind(&c.EMADecay, "ema", "TrainConfig.EMADecay", "EMA decay of the weights"+fmt.Sprintf(base, "0.995 / 0.9999"), true)
	f.Bind(&c.Seed, "seed", "TrainConfig.Seed", "random seed", false)
	f.Bind(&c.MinSNRGamma, "min-snr", "TrainConfig.MinSNRGamma", "min-SNR-γ loss weighting (Hang et al. 2023; they use 5); 0: unweighted L_simple", false)
	f.Bind(&c.LearnVariance, "learn-variance", "TrainConfig.LearnVariance", "learn the reverse variances with L_hybrid (Nichol & Dhariwal 2021)", false)
	f.Bind(&c.VLBImportance, "vlb-importance", "TrainConfig.VLBImportance", "with -learn-variance: train on L_vlb alone with importance-sampled t (Nichol & Dhariwal §3.1)", false)
	f.Bind(&c.EMAWarmup, "ema-warmup", "TrainConfig.EMAWarmup", "EMA decay min(ema, (1+n)/(10+n)) at step n: for short runs", false)
	f.Bind(&c.DecaySteps, "lr-decay-steps", "TrainConfig.DecaySteps", "cosine decay of the learning rate to 0 at this step; 0: constant (a preset that decays to its end: its last step)", false)
	f.Bind(&c.TimeLogSNRMean, "t-logsnr-mean", "TrainConfig.TimeLogSNRMean", "with -t-logsnr-std: the mean of the normal law of log SNR that t is drawn from (EDM: 2.4)", false)
	f.Bind(&c.TimeLogSNRStd, "t-logsnr-std", "TrainConfig.TimeLogSNRStd", "draw t with a normal log SNR of this spread (EDM's log-normal σ: 2.4); 0: t uniform", false)
	cond := f.Bool("cond", false, "class-conditional network for classifier-free guidance (labelled data: "+strings.Join(data.LabelledNames(), ", ")+")")
	f.Bind(&c.PUncond, "p-uncond", "TrainConfig.PUncond", fmt.Sprintf("with -cond: probability of training on the null label (default %g)", ddpm.DefaultPUncond), true)
	return func() (recipe.Config, recipe.Preset, error) {
		var p recipe.Preset
		if *preset != "" {
			var err error
			if p, err = recipe.GetPreset(*preset); err != nil {
				return c, p, fmt.Errorf("-preset %q: use one of %s", *preset, strings.Join(recipe.PresetNames(), ", "))
			}
		}
		cfg := p.Config
		f.Overlay(&cfg, &c, "Config", "TrainConfig")
		if *cond {
			if cfg.NumClasses = recipe.DataClasses(cfg.Data); cfg.NumClasses == 0 {
				return cfg, p, fmt.Errorf("-cond needs labelled data: %s, not %s", strings.Join(data.LabelledNames(), ", "), cfg.Data)
			}
		}
		settings := map[string]string{}
		for _, name := range netFlags {
			if f.Given(name) {
				settings[name] = f.Lookup(name).Value.String()
			}
		}
		var err error
		def := map[bool]string{true: "unet", false: "mlp"}[recipe.IsImageData(cfg.Data)]
		if cfg.Network, err = nets.Choose(cfg.Network, def, *model, settings); err != nil {
			return cfg, p, err
		}
		cfg, err = cfg.WithDefaults()
		return cfg, p, err
	}
}

// registerNetFlags registers every flag of the registered networks (as
// text, read by nets.Set for the network chosen) and returns their names.
func registerNetFlags(f *flagbind.Set) []string {
	var names []string
	for _, nf := range nets.Flags(recipe.DataDims(recipe.MNIST), recipe.DataDims("swissroll")) {
		f.String(nf.Name, "", nf.Usage+"; network "+strings.Join(nf.Nets, ", "))
		for _, p := range nf.Paths {
			f.Field(nf.Name, p)
		}
		names = append(names, nf.Name)
	}
	return names
}
