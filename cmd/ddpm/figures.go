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

// runFigures is "ddpm figures": it writes every figure of package figures
// (the README's) as a PNG file in -out.
func runFigures(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("figures")
	out := fs.String("out", "figures", "output folder")
	weights := fs.String("weights", "weights", "folder of weight files: each <name>.ddpm gets a samples_<name>.png (none if the folder is missing)")
	quick := fs.Bool("quick", false, "fewer samples and chain steps (for tests); the figures are rougher")
	seed := fs.Int64("seed", 1, "random seed of every figure")
	if code, ok := fs.parse("usage: ddpm figures [-out DIR] [-weights DIR] [-quick]: regenerate the README's figures as PNG files", args, stderr); !ok {
		return code
	}
	files, err := figures.WeightFiles(*weights, fs.Given("weights")) // the default folder is optional: no sample figures
	if err != nil {
		return fail(stderr, "figures", badFlag("-weights: %s", message(err)), 2)
	}
	backend, err := backendpkg.New()
	if err != nil {
		return fail(stderr, "figures", err, 1)
	}
	all, err := (figures.Config{Backend: backend, Quick: *quick, Seed: *seed}).All(files)
	if err != nil {
		return fail(stderr, "figures", err, 1)
	}
	for _, f := range all {
		if err := atomicfile.CheckDest(filepath.Join(*out, f.Name), atomicfile.PNG, files...); err != nil {
			return fail(stderr, "figures", badFlag("-out %s: %v", *out, err), 2)
		}
	}
	for _, f := range all {
		b, err := f.Make()
		if err == nil {
			err = figs.WriteFile(filepath.Join(*out, f.Name), b, files...)
		}
		if err != nil {
			return fail(stderr, "figures", fmt.Errorf("%s: %w", f.Name, err), 1)
		}
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(*out, f.Name))
	}
	return 0
}
