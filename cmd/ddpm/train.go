package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/experiment"
	"github.com/ddpm-go/ddpm-go/nets"
)

// modelFlags registers the flags that define a run's Config.
func modelFlags(fs *flag.FlagSet) func() experiment.Config {
	dataName := fs.String("data", "swissroll", "data: swissroll, moons, 8gaussians, checkerboard, circles, mnist, fashion-mnist, cifar10")
	dataDir := fs.String("data-dir", "", "folder of the IDX / CIFAR-10 files (mnist defaults to the GoMNIST module's copy)")
	modelName := fs.String("model", "", "network: mlp (2-D data) or unet (images); default by data")
	base := fs.Int("base", 0, "U-Net base channels (default 32)")
	attn := fs.String("attention", "", "U-Net: comma-separated resolutions with self-attention, e.g. 7")
	mults := fs.String("mults", "", "U-Net: channel multipliers per level, from the image's resolution down (default 1,2,2: 28², 14², 7² on MNIST)")
	groups := fs.Int("groups", 0, "U-Net GroupNorm groups (default 8); must divide every level's channel count")
	dropout := fs.Float64("dropout", 0, "U-Net dropout while training")
	hidden := fs.Int("hidden", 0, "MLP hidden width (default 256)")
	kind := fs.String("schedule", "linear", "noise schedule: linear, cosine, quadratic, sigmoid")
	T := fs.Int("T", 1000, "diffusion steps")
	rescale := fs.Bool("rescale", false, "rescale β_1, β_T by 1000/T")
	var pred ddpm.Prediction
	fs.TextVar(&pred, "prediction", ddpm.PredictEps, "network target: eps, x0 or v")
	batch := fs.Int("batch", 0, "batch size (default 1024 for 2-D, 128 for images)")
	lr := fs.Float64("lr", 0, "Adam learning rate (default 1e-3 for 2-D, 2e-4 for images)")
	warmup := fs.Int("warmup", 0, "learning-rate warm-up steps (default 100 / 1000)")
	clip := fs.Float64("clip", 0, "gradient clipping global norm (default 1)")
	ema := fs.Float64("ema", 0, "EMA decay of the weights (default 0.995 / 0.9999)")
	seed := fs.Int64("seed", 0, "random seed")
	minSNR := fs.Float64("min-snr", 0, "min-SNR-γ loss weighting (Hang et al. 2023; they use 5); 0: unweighted L_simple")
	learnVar := fs.Bool("learn-variance", false, "learn the reverse variances with L_hybrid (Nichol & Dhariwal 2021)")
	vlbIS := fs.Bool("vlb-importance", false, "with -learn-variance: train on L_vlb alone with importance-sampled t (Nichol & Dhariwal §3.1)")
	emaWarmup := fs.Bool("ema-warmup", false, "EMA decay min(ema, (1+n)/(10+n)) at step n: for short runs")
	decay := fs.Int("lr-decay-steps", 0, "cosine decay of the learning rate to 0 at this step (e.g. the -steps value); 0: constant")
	cond := fs.Bool("cond", false, "class-conditional network for classifier-free guidance (labelled data: mnist, fashion-mnist, cifar10, 8gaussians)")
	pUncond := fs.Float64("p-uncond", 0, "with -cond: probability of training on the null label (default 0.1)")
	return func() experiment.Config {
		c := experiment.Config{Data: *dataName, DataDir: *dataDir, Model: experiment.ModelKind(*modelName), Prediction: pred,
			Schedule: ddpm.ScheduleConfig{Kind: ddpm.ScheduleKind(*kind), T: *T, Rescale: *rescale},
			Batch:    *batch, LearningRate: *lr, WarmupSteps: *warmup, GradClip: *clip, EMADecay: *ema, Seed: *seed, MinSNRGamma: *minSNR, LearnVariance: *learnVar,
			MLP: nets.MLPConfig{Hidden: *hidden}, UNet: nets.UNetConfig{Base: *base, Dropout: *dropout, Groups: *groups},
			EMAWarmup: *emaWarmup, LRDecaySteps: *decay, PUncond: *pUncond, VLBImportance: *vlbIS}
		if *cond {
			c.NumClasses = experiment.DataClasses(c.Data)
			if c.NumClasses == 0 {
				c.NumClasses = -1 // refused by WithDefaults, which names the labelled data sets
			}
		}
		c.UNet.AttentionRes, _ = intList(*attn) // checked by checkModelFlags
		c.UNet.Mults, _ = intList(*mults)
		return c
	}
}

func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	cfgFn := modelFlags(fs)
	steps := fs.Int64("steps", 0, "train until this step (default 5000 for 2-D data, 20000 for images)")
	dir := fs.String("dir", "", "run folder (default runs/<data>-<model>-seed<seed>); an existing run there is resumed")
	every := fs.Int64("checkpoint-every", 0, "steps between checkpoints (default steps/10)")
	keep := fs.Int("keep", 3, "checkpoints to keep")
	quiet := fs.Bool("quiet", false, "no progress bar")
	devices := fs.Int("devices", 0, "data-parallel over this many devices (default: all GPUs, 1 on CPU)")
	maxTime := fs.Duration("max-time", 0, "stop after this wall time (e.g. 8m), checkpointing and writing the weights at the step reached")
	initFrom := fs.String("init", "", "a new run starts from the network of this weight file (fine-tuning: same model flags; fresh optimiser)")
	if code, ok := parseFlags(fs, "usage: ddpm train [flags]: Algorithm 1 of Ho et al.; resumes the run in -dir exactly if it exists", args, stderr); !ok {
		return code
	}
	set := explicit(fs)
	if err := checkModelFlags(fs, set); err != nil {
		return fail(stderr, "train", err, 2)
	}
	switch {
	case *keep < 1:
		return fail(stderr, "train", badFlag("-keep %d: at least 1 checkpoint must be kept", *keep), 2)
	case *every < 0:
		return fail(stderr, "train", badFlag("-checkpoint-every %d must be ≥ 1 (leave it out for steps/10)", *every), 2)
	case *maxTime < 0:
		return fail(stderr, "train", badFlag("-max-time %s must be > 0 (leave it out for no limit)", *maxTime), 2)
	}
	cfg, err := cfgFn().WithDefaults()
	if err != nil {
		return fail(stderr, "train", err, 2)
	}
	if err := checkModelSpecific(set, cfg); err != nil {
		return fail(stderr, "train", err, 2)
	}
	if *steps == 0 {
		*steps = map[bool]int64{true: 20000, false: 5000}[cfg.IsImage()]
	}
	if *steps < 1 {
		fmt.Fprintf(stderr, "ddpm train: -steps %d must be ≥ 1\n", *steps)
		return 2
	}
	if *devices < 0 {
		fmt.Fprintf(stderr, "ddpm train: -devices %d must be ≥ 0 (0: all GPUs, 1 on CPU)\n", *devices)
		return 2
	}
	if *dir == "" {
		*dir = filepath.Join("runs", fmt.Sprintf("%s-%s-seed%d", cfg.Data, cfg.Model, cfg.Seed))
	}
	backend, err := ddpm.Backend()
	if err != nil {
		return fail(stderr, "train", err, 1)
	}
	if cfg.IsImage() && ddpm.PlatformOf(backend) == ddpm.PlatformXLACPU && !fastAllocator() {
		fmt.Fprintln(stderr, `ddpm train: tip: on glibc malloc XLA CPU U-Net steps run ~1.5x slower; run under eval "$(sh scripts/allocator-env.sh)" (jemalloc)`)
	}
	fmt.Fprintf(stdout, "training %s (%s, %d parameters) on %s for %d steps in %s\n", cfg.Data, cfg.Model, cfg.NumParameters(), ddpm.BackendName(), *steps, *dir)
	opt := experiment.RunOptions{Steps: *steps, Dir: *dir, CheckpointEvery: *every, Keep: *keep, MaxWall: *maxTime, Devices: *devices, InitFrom: *initFrom, Command: "ddpm train " + strings.Join(args, " ")}
	if !*quiet {
		opt.Progress = stderr
	}
	opt.Log = stderr
	res, err := experiment.Train(backend, cfg, opt)
	if err != nil {
		return fail(stderr, "train", err, 1)
	}
	fmt.Fprintf(stdout, "reached step %d in %.1fs (%.1f steps/s on %d device(s)); loss curve %s; weights %s\n", res.Step, res.Wall.Seconds(),
		res.StepsPerSec, res.Devices, filepath.Join(*dir, "loss.png"), res.WeightsPath)
	return 0
}

// fastAllocator says whether this process runs on jemalloc or tcmalloc
// (scripts/allocator-env.sh explains why that matters for XLA CPU).
func fastAllocator() bool {
	maps, err := os.ReadFile("/proc/self/maps")
	return err != nil || bytes.Contains(maps, []byte("libjemalloc")) || bytes.Contains(maps, []byte("libtcmalloc"))
}
