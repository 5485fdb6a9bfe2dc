package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/ddpm-go/ddpm-go/ddpm"
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
	if st, err := os.Stat(*weights); err != nil || !st.IsDir() {
		if fs.Given("weights") || err == nil {
			return fail(stderr, "figures", badFlag("-weights %s: not a folder of weight files", *weights), 2)
		}
		*weights = "" // the default folder is optional: no sample figures
	}
	var files []string
	if *weights != "" {
		files, _ = filepath.Glob(filepath.Join(*weights, "*.ddpm")) // the pattern is valid
	}
	sort.Strings(files)
	backend, err := ddpm.Backend()
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
