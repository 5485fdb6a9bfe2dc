package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/recipe"
	runpkg "github.com/ddpm-go/ddpm-go/run"
)

func runTrain(args []string, stdout, stderr io.Writer) int {
	f := newFlags("train")
	build := configFlags(f)
	var opt runpkg.Options
	f.Bind(&opt)
	points, _ := recipe.Config{}.WithDefaults() // the default data's
	f.SetDefault("steps", fmt.Sprintf("the preset's, else %d for images, %d for points; a wall-time preset: what fits",
		recipe.BasePreset(recipe.MNIST).Steps, recipe.BasePreset(points.Data).Steps))
	f.SetDefault("keep", fmt.Sprint(runpkg.DefaultKeep))
	quiet := f.Bool("quiet", false, "no progress bar")
	if code, ok := f.parse("usage: ddpm train [-preset NAME] [flags]: Algorithm 1 of Ho et al.; resumes the run in -dir exactly if it exists", args, stderr); !ok {
		return code
	}
	cfg, p, err := build()
	if err == nil {
		err = opt.Validate()
	}
	err = f.explain(err)
	if err != nil {
		return fail(stderr, "train", err, 2)
	}
	backend, err := backendpkg.New()
	if err != nil {
		return fail(stderr, "train", err, 1)
	}
	opt.Command, opt.Log = "ddpm train "+strings.Join(args, " "), stderr
	if !*quiet {
		opt.Progress = stderr
	}
	// Plan reads the inputs and times the machine, creating nothing: a
	// signal there stops the program at once (the default action), so the
	// handler that lets training finish its step is installed only after.
	planned, rate, err := runpkg.Plan(backend, cfg, p, opt)
	var res *runpkg.Result
	if err == nil {
		sigs, stop := interruptOnce() // before the lines below: a signal after them finishes the step
		defer stop()
		planned.SetInterrupt(sigs)
		cfg, opt = planned.Config(), planned.Options()
		if rate > 0 {
			fmt.Fprintf(stdout, "this machine runs %.2f steps/s: %s are %d steps (the run stops at %s at the latest)\n", rate, planned.Budget(), opt.Steps, opt.MaxWall)
		}
		fmt.Fprintf(stdout, "training %s (%s, %d parameters) on %s for %d steps in %s\n", cfg.Data, cfg.ModelName(), cfg.NumParameters(), backendpkg.Name(), opt.Steps, opt.Dir)
		res, err = planned.Train()
	}
	var stop *runpkg.Interrupted
	switch done := (*runpkg.AlreadyDone)(nil); {
	case errors.As(err, &stop):
		fmt.Fprintln(stderr, stop)
		return 130
	case errors.As(err, &done):
		fmt.Fprintln(stdout, f.Rewrite(err.Error()))
		return 0
	case err != nil && planned == nil && !errors.Is(err, ckpt.ErrLocked): // a check before the folder or the work
		return fail(stderr, "train", f.explain(err), 2)
	case err != nil:
		return fail(stderr, "train", f.explain(err), 1)
	}
	fmt.Fprintf(stdout, "reached step %d in %.1fs (%.1f steps/s on %d device(s)); loss curve %s; weights %s\n", res.Step, res.Wall.Seconds(),
		res.StepsPerSec, res.Devices, filepath.Join(opt.Dir, "loss.png"), res.WeightsPath)
	return 0
}

// interruptOnce relays the first SIGINT or SIGTERM to the returned channel
// (the run finishes its step, checkpoints it and stops; the same command
// resumes) and gives the signals back their default action, so that a
// second one stops the program at once, whatever it is doing — compiling
// the step, say, before the first step has ended. stop undoes it.
func interruptOnce() (<-chan os.Signal, func()) {
	sigs := make(chan os.Signal, 1)
	out := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs) // the next signal takes its default action
			out <- s
		case <-done:
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
		})
	}
}
