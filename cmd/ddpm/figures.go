package main

import (
	"fmt"
	"io"
	"path/filepath"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/figures"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
)

// figuresOptions are ddpm figures' own settings (the figures' are
// figures.Config's).
type figuresOptions struct {
	Out     string `flag:"out" usage:"output folder"`
	Weights string `flag:"weights" usage:"folder of weight files: each <name>.ddpm gets a samples_<name>.png (none if the folder is missing)"`
}

// runFigures is "ddpm figures": it writes every figure of package figures
// (docs/results.md's) as a PNG file in -out.
func runFigures(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("figures")
	opt := figuresOptions{Out: "figures", Weights: "weights"}
	fc := figures.Config{Seed: 1}
	fs.Bind(&opt)
	fs.Bind(&fc)
	if code, ok := fs.parse("usage: ddpm figures [-out DIR] [-weights DIR] [-quick]: regenerate the figures of docs/results.md as PNG files", args, stderr); !ok {
		return code
	}
	files, err := figures.WeightFiles(opt.Weights, fs.Given("weights")) // the default folder is optional: no sample figures
	if err != nil {
		return fail(stderr, "figures", badFlag("-weights: %s", message(err)), 2)
	}
	if fc.Backend, err = backendpkg.New(); err != nil {
		return fail(stderr, "figures", err, 1)
	}
	all, err := fc.All(files)
	if err != nil {
		return fail(stderr, "figures", err, 1)
	}
	for _, f := range all {
		if err := atomicfile.CheckDest(filepath.Join(opt.Out, f.Name), atomicfile.PNG, files...); err != nil {
			return fail(stderr, "figures", badFlag("-out %s: %v", opt.Out, err), 2)
		}
	}
	for _, f := range all {
		b, err := f.Make()
		if err == nil {
			err = figs.WriteFile(filepath.Join(opt.Out, f.Name), b, files...)
		}
		if err != nil {
			return fail(stderr, "figures", fmt.Errorf("%s: %w", f.Name, err), 1)
		}
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(opt.Out, f.Name))
	}
	return 0
}
