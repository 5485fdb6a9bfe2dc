package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The registry's samplers reach the command line: -h lists each with its
// knobs, sample and eval run DPM-Solver++(2M) and Heun (eval reports the
// network evaluations), and a sampler's knob is refused for another one
// with one line naming the flag.
func TestRegisteredSamplersOnTheCommandLine(t *testing.T) {
	var out, errb bytes.Buffer
	run([]string{"sample", "-h"}, &out, &errb)
	for _, want := range []string{"dpm++2m: DPM-Solver++(2M)", "heun: EDM's Heun", "-s-churn", "-s-tmin", "-s-tmax", "-s-noise", "-langevin-k", "-langevin-eps", "-eta", "-raw-eps"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("sample -h lacks %q:\n%s", want, errb.String())
		}
	}

	w := tinyWeights(t) // T = 50
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-sampler", "dpm++2m", "-steps", "10"}, "dpm++2m S=10 (10 network evaluations)"},
		{[]string{"-sampler", "heun", "-steps", "10"}, "heun S=10 (19 network evaluations)"},
		{[]string{"-sampler", "heun", "-steps", "10", "-s-churn", "5", "-s-tmax", "3"}, "heun S=10 (19 network evaluations)"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(append([]string{"eval", "-weights", w, "-n", "200"}, c.args...), &out, &errb); code != 0 || !strings.Contains(out.String(), c.want) {
			t.Errorf("eval %v: exit %d, %s%s; want %q", c.args, code, out.String(), errb.String(), c.want)
		}
	}
	png := filepath.Join(t.TempDir(), "heun.png")
	out.Reset()
	if code := run([]string{"sample", "-weights", w, "-sampler", "heun", "-steps", "8", "-n", "50", "-out", png}, &out, &errb); code != 0 || !strings.Contains(out.String(), "50 heun samples") {
		t.Errorf("sample -sampler heun: exit %d, %s%s", code, out.String(), errb.String())
	}
	if _, err := os.Stat(png); err != nil {
		t.Error(err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sample", "-sampler", "ddim", "-s-churn", "10"}, "-s-churn 10 is Heun's S_churn, not for the ddim sampler"},
		{[]string{"eval", "-sampler", "dpm++2m", "-eta", "0.5"}, "-eta 0.5 is DDIM's η, not for the dpm++2m sampler"},
		{[]string{"sample", "-sampler", "heun", "-s-tmin", "0.1"}, "-s-tmin 0.1 is for the stochastic Heun sampler: set SChurn > 0 too"},
		{[]string{"sample", "-sampler", "heun", "-s-churn", "-1"}, "-s-churn -1 must be a finite number ≥ 0"},
		{[]string{"sample", "-sampler", "euler"}, "-sampler euler is not a sampler: use ancestral, ddim, dpm++2m, heun or langevin"},
		{[]string{"sample", "-sampler", "langevin", "-langevin-k", "0"}, "-langevin-k 0 would stand for its default"},
		{[]string{"sample", "-langevin-k", "3"}, "-langevin-k 3 is Langevin's steps per level, not for the ancestral sampler"},
	} {
		out.Reset()
		errb.Reset()
		args := append([]string{c.args[0], "-weights", w}, c.args[1:]...)
		code := run(args, &out, &errb)
		msg := strings.TrimSpace(errb.String())
		if code != 2 || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", args, code, msg, c.want)
		}
	}
}
