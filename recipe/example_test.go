package recipe_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/recipe"
)

// The ten-minute MNIST recipe on a CPU, by name, with its zero fields
// filled by their owners' defaults (Config.WithDefaults): what
// "ddpm train -preset mnist-cpu" trains. Nothing runs: presets and
// defaults are host-side values. The parameters are mnist-cpu-uncond's
// 494,820 (its preset's Doc) plus the label embedding, 11 × 128 = 1,408
// (ten digits and the null label).
func ExampleGetPreset() {
	p, err := recipe.GetPreset("mnist-cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := p.Config.WithDefaults()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %s, %d parameters, batch %d, lr %g, %g minutes, w = %g\n",
		p.Name, cfg.ModelName(), cfg.NumParameters(), cfg.Batch, cfg.LearningRate, p.Minutes, p.Guidance)
	_, err = recipe.GetPreset("mnist-fast")
	fmt.Println(err)
	// Output:
	// mnist-cpu: s2d-unet, 496228 parameters, batch 32, lr 0.004, 10 minutes, w = 0.5
	// recipe: unknown preset "mnist-fast": use one of ho2020, mnist-cpu, mnist-cpu-uncond, mnist-gpu, mnist-gpu-cond, points
}
