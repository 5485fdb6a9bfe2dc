package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/experiment"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/figures"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
)

func runSample(args []string, stdout, stderr io.Writer) int {
	f := newFlags("sample")
	weights := f.String("weights", "", "weight file (weights.ddpm of a training run); default the shipped weights/<data>.ddpm")
	dataName := f.String("data", "swissroll", "with no -weights: which shipped weights/<data>.ddpm to use (swissroll, 8gaussians, mnist)")
	sampler := samplerFlags(f)
	var n int
	f.Bind(&n, "n", "", "number of samples (default 2000 for 2-D, 64 for images, 100 for a 10-class model's grid)", true)
	seed := f.Int64("seed", 1, "random seed")
	out := f.String("out", "samples.png", "output PNG: a grid of images or a 2-D scatter over the data")
	o := experiment.GuidanceOptions{Label: -1}
	f.Bind(&o.Label, "label", "GuidanceOptions.Label", "class-conditional weights: the label of every sample (default: labels 0, 1, …, k−1, 0, … in turn)", false)
	f.Bind(&o.W, "guidance", "GuidanceOptions.W", "class-conditional weights: classifier-free guidance weight w ≥ 0 (Ho & Salimans Eq. 6; 0: the conditional model)", false)
	f.Bind(&o.Unconditional, "unconditional", "GuidanceOptions.Unconditional", "class-conditional weights: sample the unconditional model (the null label)", false)
	if code, ok := f.parse("usage: ddpm sample [-weights FILE | -data NAME] [flags]: draw samples and write a PNG", args, stderr); !ok {
		return code
	}
	if *weights == "" {
		*weights = filepath.Join("weights", *dataName+".ddpm")
		if _, err := os.Stat(*weights); err != nil {
			return fail(stderr, "sample", badFlag("no shipped weights %s (run from the repository root, or pass -weights FILE from ddpm train)", *weights), 2)
		}
	}
	if err := atomicfile.CheckDest(*out, atomicfile.PNG, *weights); err != nil {
		return fail(stderr, "sample", badFlag("-out %s: %v", *out, err), 2)
	}
	m, err := experiment.LoadWeights(*weights)
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	sc, err := sampler(m)
	if err != nil {
		return fail(stderr, "sample", err, 2)
	}
	if n == 0 {
		n = map[bool]int{true: 64, false: 2000}[m.Config.IsImage()]
		if m.Config.IsImage() && m.Config.NumClasses == 10 && o.Label < 0 && !o.Unconditional {
			n = 100 // a 10×10 grid: column j holds label j
		}
	}
	g, err := m.Guidance(o, n)
	if err != nil {
		return fail(stderr, "sample", f.explain(err), 2)
	}
	backend, err := ddpm.Backend()
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	x, err := m.SampleMany(backend, sc, g, n, *seed, experiment.SampleOptions{Progress: stderr})
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	png, err := figures.SamplesPNG(m.Config, x, string(sc.Kind), *seed)
	if err == nil {
		err = figs.WriteFile(*out, png, *weights)
	}
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	fmt.Fprintf(stdout, "%d %s samples from %s written to %s\n", n, sc.Kind, *weights, *out)
	return 0
}
