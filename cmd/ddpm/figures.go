package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/figs/figures"
)

// runFigures is "ddpm figures": it writes every figure of package figures
// (the README's) as a PNG file in -out.
func runFigures(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("figures", flag.ContinueOnError)
	out := fs.String("out", "figures", "output folder")
	weights := fs.String("weights", "weights", "folder of weight files: each <name>.ddpm gets a samples_<name>.png (none if the folder is missing)")
	quick := fs.Bool("quick", false, "fewer samples and chain steps (for tests); the figures are rougher")
	seed := fs.Int64("seed", 1, "random seed of every figure")
	if code, ok := parseFlags(fs, "usage: ddpm figures [-out DIR] [-weights DIR] [-quick]: regenerate the README's figures as PNG files", args, stderr); !ok {
		return code
	}
	files, err := filepath.Glob(filepath.Join(*weights, "*.ddpm"))
	if err != nil {
		fmt.Fprintf(stderr, "ddpm figures: -weights %q: %v\n", *weights, err)
		return 2
	}
	sort.Strings(files)
	backend, err := ddpm.Backend()
	if err != nil {
		fmt.Fprintf(stderr, "ddpm figures: %v\n", err)
		return 1
	}
	for _, f := range (figures.Config{Backend: backend, Quick: *quick, Seed: *seed}).All(files) {
		b, err := f.Make()
		if err == nil {
			err = figs.WriteFile(filepath.Join(*out, f.Name), b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ddpm figures: %s: %v\n", f.Name, err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(*out, f.Name))
	}
	return 0
}
