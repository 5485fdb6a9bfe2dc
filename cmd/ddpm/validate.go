package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/experiment"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
)

// usageError is a bad flag: the command prints it and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func badFlag(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// explicit returns the names of the flags given on the command line.
func explicit(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// message is err as one line without the package prefixes ("experiment: ",
// "ddpm: ", "ckpt: ") that would follow the command's own "ddpm <cmd>: ".
func message(err error) string {
	s := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	for changed := true; changed; {
		changed = false
		for _, p := range []string{"ddpm: ", "experiment: ", "ckpt: "} {
			if strings.HasPrefix(s, p) {
				s, changed = s[len(p):], true
			}
		}
	}
	return s
}

// fail prints err for command cmd in one line and returns the exit code: 2
// for a usage error, code otherwise.
func fail(stderr interface{ Write([]byte) (int, error) }, cmd string, err error, code int) int {
	var ue usageError
	if errors.As(err, &ue) {
		code = 2
	}
	fmt.Fprintf(stderr, "ddpm %s: %s\n", cmd, message(err))
	return code
}

// zeroMeansDefault are the flags whose value 0 stands for a default chosen by
// the data: given explicitly, 0 would be silently replaced, so it is refused.
var zeroMeansDefault = map[string]string{
	"T": "≥ 1", "batch": "≥ 1", "hidden": "≥ 1", "base": "≥ 1", "groups": "≥ 1", "lr": "> 0", "warmup": "≥ 1",
	"clip": "> 0", "ema": "in (0, 1)", "steps": "≥ 1", "keep": "≥ 1", "n": "≥ 1", "p-uncond": "in (0, 1)",
}

// checkZeros refuses an explicit 0 for the flags of zeroMeansDefault.
func checkZeros(fs *flag.FlagSet, set map[string]bool) error {
	for name, want := range zeroMeansDefault {
		f := fs.Lookup(name)
		if f == nil || !set[name] {
			continue
		}
		if v, err := strconv.ParseFloat(f.Value.String(), 64); err == nil && v == 0 {
			return badFlag("-%s 0: must be %s (leave the flag out for its default)", name, want)
		}
	}
	return nil
}

// checkFinite refuses NaN and ±Inf in the float flags given.
func checkFinite(fs *flag.FlagSet, set map[string]bool, names ...string) error {
	for _, name := range names {
		if f := fs.Lookup(name); f != nil && set[name] {
			if v, err := strconv.ParseFloat(f.Value.String(), 64); err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				return badFlag("-%s %s: must be a finite number", name, f.Value)
			}
		}
	}
	return nil
}

// intList parses a comma-separated list of positive integers ("" is none).
func intList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, r := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", strings.TrimSpace(r))
		}
		out = append(out, v)
	}
	return out, nil
}

// checkModelFlags checks the flags of modelFlags: before the defaults (set
// is what the command line gave), then against the configuration's model.
func checkModelFlags(fs *flag.FlagSet, set map[string]bool) error {
	if err := checkZeros(fs, set); err != nil {
		return err
	}
	if err := checkFinite(fs, set, "lr", "clip", "ema", "dropout", "p-uncond"); err != nil {
		return err
	}
	if _, err := intList(fs.Lookup("attention").Value.String()); err != nil {
		return badFlag("-attention %q: want comma-separated resolutions in pixels, e.g. 7 or 14,7", fs.Lookup("attention").Value)
	}
	if _, err := intList(fs.Lookup("mults").Value.String()); err != nil {
		return badFlag("-mults %q: want comma-separated channel multipliers, one per level, e.g. 1,2,2", fs.Lookup("mults").Value)
	}
	return nil
}

// checkModelSpecific refuses the flags that cfg's model would ignore.
func checkModelSpecific(set map[string]bool, cfg experiment.Config) error {
	for _, name := range []string{"base", "attention", "dropout", "mults", "groups"} {
		if set[name] && cfg.Model != "unet" {
			return badFlag("-%s is a U-Net flag, but this run's model is %s", name, cfg.Model)
		}
	}
	if set["hidden"] && cfg.Model != "mlp" {
		return badFlag("-hidden is an MLP flag, but this run's model is %s", cfg.Model)
	}
	return nil
}

// checkSampleFlags checks the sampler flags shared by sample and eval
// before anything is loaded: kind is the -sampler value.
func checkSampleFlags(fs *flag.FlagSet, kind string) error {
	set := explicit(fs)
	if err := checkFinite(fs, set, "eta", "clip"); err != nil {
		return err
	}
	if err := checkZeros(fs, set); err != nil {
		return err
	}
	intFlag := func(name string) int {
		if f := fs.Lookup(name); f != nil {
			v, _ := strconv.Atoi(f.Value.String())
			return v
		}
		return 0
	}
	switch kind {
	case "ancestral", "ddim", "langevin":
	default:
		return badFlag("-sampler %q: use ancestral, ddim or langevin", kind)
	}
	if s := intFlag("steps"); s < 0 {
		return badFlag("-steps %d must be ≥ 1", s)
	}
	if n := intFlag("n"); n < 0 {
		return badFlag("-n %d must be ≥ 1", n)
	}
	if set["eta"] {
		if kind != "ddim" {
			return badFlag("-eta is for the ddim sampler, not %s", kind)
		}
		if v, _ := strconv.ParseFloat(fs.Lookup("eta").Value.String(), 64); !(v >= 0 && v <= 1) {
			return badFlag("-eta %g must lie in [0, 1]", v)
		}
	}
	for _, name := range []string{"final-alpha-first", "raw-eps"} {
		if set[name] && kind != "ddim" {
			return badFlag("-%s is a DDIM convention, not for the %s sampler", name, kind)
		}
	}
	if set["spacing"] {
		if kind == "langevin" {
			return badFlag("-spacing is for the ddim and (respaced) ancestral samplers; langevin always uses the trailing ladder")
		}
		switch v := fs.Lookup("spacing").Value.String(); ddpm.Spacing(v) {
		case ddpm.SpacingTrailing, ddpm.SpacingLeading, ddpm.SpacingLinspace:
		default:
			return badFlag("-spacing %q: use trailing, leading or linspace", v)
		}
	}
	if err := checkFinite(fs, set, "guidance"); err != nil {
		return err
	}
	if f := fs.Lookup("guidance"); f != nil && set["guidance"] {
		if v, _ := strconv.ParseFloat(f.Value.String(), 64); v < 0 {
			return badFlag("-guidance %g must be ≥ 0 (0: the conditional model alone)", v)
		}
	}
	if set["variance"] && kind != "ancestral" {
		return badFlag("-variance is for the ancestral sampler, not %s", kind)
	}
	if f := fs.Lookup("clip"); f != nil && set["clip"] {
		if v, _ := strconv.ParseFloat(f.Value.String(), 64); v < 0 {
			return badFlag("-clip %g must be ≥ 0 (0: no clipping; leave it out for the default)", v)
		}
		if kind == "langevin" {
			return badFlag("-clip is not used by the langevin sampler")
		}
	}
	return nil
}

// checkOutput fails before sampling when the output file could not be written.
func checkOutput(path string) error {
	if err := atomicfile.CheckWritable(path); err != nil {
		return badFlag("-out %s: %v", path, err)
	}
	return nil
}
