package recipe

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/nets"
)

// The CPU recipe is class-conditional with a default guidance weight that
// its Doc states; its unconditional twin is the same network and optimiser
// without labels; the GPU recipe's conditional twin differs from it only in
// the labels. Every preset completes (Config.WithDefaults) and a guidance
// weight is named only by conditional recipes.
func TestPresets(t *testing.T) {
	cpu, uncond := MustPreset("mnist-cpu"), MustPreset("mnist-cpu-uncond")
	if cpu.Config.NumClasses != 10 || cpu.Guidance <= 0 || uncond.Config.NumClasses != 0 || uncond.Guidance != 0 {
		t.Errorf("mnist-cpu: %d classes, w = %g; mnist-cpu-uncond: %d classes, w = %g", cpu.Config.NumClasses, cpu.Guidance, uncond.Config.NumClasses, uncond.Guidance)
	}
	for _, want := range []string{fmt.Sprintf("p_uncond = %g", cpu.Config.PUncond), fmt.Sprintf("w = %g", cpu.Guidance)} {
		if !strings.Contains(cpu.Doc, want) {
			t.Errorf("mnist-cpu's Doc does not state %q: %s", want, cpu.Doc)
		}
	}
	a, b := cpu.Config, uncond.Config
	a.NumClasses, a.PUncond = 0, 0
	if a.Network.(nets.S2DUNetConfig).Patch != b.Network.(nets.S2DUNetConfig).Patch || !reflect.DeepEqual(a.TrainConfig, b.TrainConfig) || a.Batch != b.Batch {
		t.Errorf("mnist-cpu and mnist-cpu-uncond differ beyond the labels:\n%+v\n%+v", a, b)
	}
	g, gc := MustPreset("mnist-gpu"), MustPreset("mnist-gpu-cond")
	gc.Config.NumClasses, gc.Config.PUncond = 0, 0
	if !reflect.DeepEqual(gc.Config.TrainConfig, g.Config.TrainConfig) || gc.Steps != g.Steps || gc.Config.Batch != g.Config.Batch {
		t.Errorf("mnist-gpu-cond differs from mnist-gpu beyond the labels")
	}
	for _, name := range PresetNames() {
		p := MustPreset(name)
		if _, err := p.Config.WithDefaults(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
		if p.Guidance != 0 && p.Config.NumClasses == 0 {
			t.Errorf("preset %s names a guidance weight but is unconditional", name)
		}
	}
}
