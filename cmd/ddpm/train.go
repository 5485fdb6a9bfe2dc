package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/experiment"
	"github.com/ddpm-go/ddpm-go/nets"
)

// configFlags registers the flags of a run's experiment.Config — the data,
// every flag of every registered network (nets.Params), the schedule, the
// objective and optimiser (ddpm.TrainConfig) — and returns the function
// that builds it: the preset's (-preset), each flag given in place of its
// field, completed by experiment.Config.WithDefaults.
func configFlags(f *flags) func() (experiment.Config, experiment.Preset, error) {
	c := experiment.Config{Schedule: ddpm.ScheduleConfig{Kind: ddpm.DefaultScheduleKind}}
	preset := f.String("preset", "", "start from a named recipe: "+strings.Join(experiment.PresetNames(), ", ")+" (the other flags change it)")
	model := f.String("model", "", fmt.Sprintf("network: %s (images) or %s (points); default unet for images, mlp for points", strings.Join(nets.Names(true), ", "), strings.Join(nets.Names(false), ", ")))
	f.Bind(&c.Data, "data", "Config.Data", "data: swissroll, moons, 8gaussians, checkerboard, circles, mnist, fashion-mnist, cifar10 (default swissroll)", false)
	f.Bind(&c.DataDir, "data-dir", "Config.DataDir", "folder of the IDX / CIFAR-10 files (mnist defaults to the GoMNIST module's copy)", false)
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
	cond := f.Bool("cond", false, "class-conditional network for classifier-free guidance (labelled data: mnist, fashion-mnist, cifar10, 8gaussians)")
	f.Bind(&c.PUncond, "p-uncond", "TrainConfig.PUncond", fmt.Sprintf("with -cond: probability of training on the null label (default %g)", ddpm.DefaultPUncond), true)
	return func() (experiment.Config, experiment.Preset, error) {
		var p experiment.Preset
		if *preset != "" {
			var err error
			if p, err = experiment.GetPreset(*preset); err != nil {
				return c, p, badFlag("-preset %q: %s", *preset, message(err))
			}
		}
		cfg := p.Config
		f.Overlay(&cfg, &c, "Config", "TrainConfig")
		if *cond {
			if cfg.NumClasses = experiment.DataClasses(cfg.Data); cfg.NumClasses == 0 {
				return cfg, p, badFlag("-cond needs labelled data: mnist, fashion-mnist, cifar10 or 8gaussians, not %s", cfg.Data)
			}
		}
		settings := map[string]string{}
		for _, name := range netFlags {
			if f.Given(name) {
				settings[name] = f.Lookup(name).Value.String()
			}
		}
		var err error
		def := map[bool]string{true: "unet", false: "mlp"}[experiment.IsImageData(cfg.Data)]
		if cfg.Network, err = nets.Choose(cfg.Network, def, *model, settings); err != nil {
			return cfg, p, badFlag("%s", message(err))
		}
		cfg, err = cfg.WithDefaults()
		return cfg, p, f.explain(err)
	}
}

// registerNetFlags registers every flag of the registered networks (as
// text, read by nets.Set for the network chosen) and returns their names.
func registerNetFlags(f *flags) []string {
	var names []string
	for _, nf := range nets.Flags(experiment.DataDims(experiment.MNIST), experiment.DataDims("swissroll")) {
		f.String(nf.Name, "", nf.Usage+"; network "+strings.Join(nf.Nets, ", "))
		for _, p := range nf.Paths {
			f.Field(nf.Name, p)
		}
		names = append(names, nf.Name)
	}
	return names
}

func runTrain(args []string, stdout, stderr io.Writer) int {
	f := newFlags("train")
	build := configFlags(f)
	opt := experiment.RunOptions{Keep: 3}
	f.Bind(&opt.Steps, "steps", "RunOptions.Steps", "train until this step (default: the preset's, else 20000 for images, 5000 for points; a wall-time preset: what fits)", true)
	f.Bind(&opt.Dir, "dir", "RunOptions.Dir", "run folder (default runs/<data>-<model>-seed<seed>); an existing run there is resumed", false)
	f.Bind(&opt.CheckpointEvery, "checkpoint-every", "RunOptions.CheckpointEvery", "steps between checkpoints (default steps/10)", true)
	f.Bind(&opt.Keep, "keep", "RunOptions.Keep", "checkpoints to keep", true)
	quiet := f.Bool("quiet", false, "no progress bar")
	f.Bind(&opt.Devices, "devices", "RunOptions.Devices", "data-parallel over this many devices (default: all GPUs, 1 on CPU)", true)
	f.DurationVar(&opt.MaxWall, "max-time", 0, "stop after this wall time (e.g. 8m), checkpointing and writing the weights at the step reached (default: the preset's budget)")
	f.Field("max-time", "RunOptions.MaxWall")
	f.Bind(&opt.InitFrom, "init", "RunOptions.InitFrom", "a new run starts from the network of this weight file (fine-tuning: same model flags; fresh optimiser)", false)
	if code, ok := f.parse("usage: ddpm train [-preset NAME] [flags]: Algorithm 1 of Ho et al.; resumes the run in -dir exactly if it exists", args, stderr); !ok {
		return code
	}
	cfg, p, err := build()
	if err == nil {
		err = f.explain(opt.Validate())
	}
	if err != nil {
		return fail(stderr, "train", err, 2)
	}
	backend, err := ddpm.Backend()
	if err != nil {
		return fail(stderr, "train", err, 1)
	}
	sigs := make(chan os.Signal, 1) // Ctrl-C: the step in progress ends, is checkpointed, and the same command resumes
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	opt.Interrupt, opt.Command, opt.Log = sigs, "ddpm train "+strings.Join(args, " "), stderr
	if !*quiet {
		opt.Progress = stderr
	}
	run, rate, err := experiment.Plan(backend, cfg, p, opt)
	var res *experiment.Result
	if err == nil {
		cfg, opt = run.Config(), run.Options()
		if rate > 0 {
			fmt.Fprintf(stdout, "this machine runs %.2f steps/s: %s are %d steps\n", rate, opt.MaxWall, opt.Steps)
		}
		fmt.Fprintf(stdout, "training %s (%s, %d parameters) on %s for %d steps in %s\n", cfg.Data, cfg.ModelName(), cfg.NumParameters(), ddpm.BackendName(), opt.Steps, opt.Dir)
		res, err = run.Train()
	}
	var stop *experiment.Interrupted
	switch done := (*experiment.AlreadyDone)(nil); {
	case errors.As(err, &stop):
		fmt.Fprintln(stderr, stop)
		return 130
	case errors.As(err, &done):
		fmt.Fprintln(stdout, err)
		return 0
	case err != nil && run == nil && !errors.Is(err, ckpt.ErrLocked): // a check before the folder or the work
		return fail(stderr, "train", f.explain(err), 2)
	case err != nil:
		return fail(stderr, "train", err, 1)
	}
	fmt.Fprintf(stdout, "reached step %d in %.1fs (%.1f steps/s on %d device(s)); loss curve %s; weights %s\n", res.Step, res.Wall.Seconds(),
		res.StepsPerSec, res.Devices, filepath.Join(opt.Dir, "loss.png"), res.WeightsPath)
	return 0
}
