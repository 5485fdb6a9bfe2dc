package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/recipe"
)

// helpOf is the help block of each flag of ddpm cmd -h, by flag name.
func helpOf(t *testing.T, cmd string) map[string]string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{cmd, "-h"}, &out, &errb); code != 0 {
		t.Fatalf("%s -h: exit %d", cmd, code)
	}
	blocks := map[string]string{}
	for _, b := range strings.Split(errb.String(), "\n  -")[1:] {
		blocks[strings.Fields(b)[0]] = strings.Join(strings.Fields(b), " ")
	}
	return blocks
}

// Each default of the help comes from the code that owns it: a network
// flag two networks share with different defaults says both (-patch: the
// doc comments of nets.S2DUNetConfig and nets.UViTConfig give 2 and 4), one
// they share with the same default says it once (-base: s2d-unet's 16·p =
// 32 is the U-Net's 32); the recipe's flags give the base presets' values
// for points and for images (recipe.Config.WithDefaults); the sampler's
// -steps gives ddpm's per sampler.
func TestHelpDefaultsFromTheCode(t *testing.T) {
	points, err := recipe.Config{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	images, err := recipe.Config{Data: recipe.MNIST}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	train, sample := helpOf(t, "train"), helpOf(t, "sample")
	for _, c := range []struct {
		help       map[string]string
		flag, want string
	}{
		{train, "patch", "(default 2 for s2d-unet; 4 for uvit)"},
		{train, "base", "(default 32)"},
		{train, "mults", "(default 1,2 for s2d-unet; 1,2,2 for unet)"},
		{train, "width", "(default 128)"},
		{train, "ema", fmt.Sprintf("(default %g; %g for images)", points.EMADecay, images.EMADecay)},
		{train, "batch", fmt.Sprintf("(default %d; %d for images)", points.Batch, images.Batch)},
		{train, "T", fmt.Sprintf("(default %d)", ddpm.DefaultT)},
		{train, "p-uncond", fmt.Sprintf("(default %g)", ddpm.DefaultPUncond)},
		{train, "adam-beta2", fmt.Sprintf("(default %g)", ddpm.DefaultAdamBeta2)},
		{train, "model", fmt.Sprintf("(default %s for images, %s for points)", images.ModelName(), points.ModelName())},
		{sample, "steps", fmt.Sprintf("(default %d for ddim, dpm++2m and heun; %d for langevin)", ddpm.DefaultDDIMSteps, ddpm.DefaultLangevinLevels)},
		{sample, "langevin-k", fmt.Sprintf("(default %d)", ddpm.DefaultLangevinK)},
		{sample, "s-noise", fmt.Sprintf("(default %g)", ddpm.DefaultSNoise)},
		{sample, "sampler", `(default "ancestral")`},
	} {
		if b := c.help[c.flag]; !strings.HasSuffix(b, c.want) {
			t.Errorf("-%s: %q, want it to end with %q", c.flag, b, c.want)
		}
	}
	if b := train["mults"]; !strings.Contains(b, "; network s2d-unet, unet") {
		t.Errorf("-mults: %q does not name its networks", b)
	}
}
