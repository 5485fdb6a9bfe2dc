package nets

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Classifier-free guidance end to end on a labelled 2-D toy: 8 Gaussians
// (radius 2, σ = 0.1) whose label is the mode. A conditional MLP trained
// with label dropping draws, for a requested label, samples near that mode;
// guidance (w = 2) puts more of them there than w = 0; the null label (the
// unconditional model) spreads them over all modes.
func TestGuidedSamplingOnLabelledToy(t *testing.T) {
	const K, B, steps = 8, 256, 600
	mode := func(k int) (float64, float64) {
		a := 2 * math.Pi * float64(k) / K
		return 2 * math.Cos(a), 2 * math.Sin(a)
	}
	rng := rand.New(rand.NewPCG(4, 5))
	cfg := MLPConfig{Hidden: 64, Layers: 3, NumClasses: K}
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{T: 100, Rescale: true})
	store := model.NewStore()
	backend := testBackend(t)
	tr, err := ddpm.NewCondTrainer(backend, store, s, ddpm.CondNet(cfg.CondNet()), ddpm.TrainConfig{LearningRate: 2e-3, WarmupSteps: 50, GradClip: 1, Seed: 1, NumClasses: K})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*B)
	y := make([]int32, B)
	for range steps {
		for i := range B {
			k := rng.IntN(K)
			mx, my := mode(k)
			x[2*i], x[2*i+1], y[i] = float32(mx+0.1*rng.NormFloat64()), float32(my+0.1*rng.NormFloat64()), int32(k)
		}
		if _, _, err := tr.StepLabeled(tensors.FromFlatDataAndDimensions(x, B, 2), tensors.FromValue(y)); err != nil {
			t.Fatal(err)
		}
	}
	const n, label = 400, 3
	share := func(labels []int32, w float64) (near float64, modes map[int]bool) {
		net, err := ddpm.Guided(cfg.CondNet(), K, labels, w)
		if err != nil {
			t.Fatal(err)
		}
		sm, err := ddpm.NewSampler(backend, store, s, net, ddpm.SampleConfig{Kind: ddpm.DDIM, Steps: 50})
		if err != nil {
			t.Fatal(err)
		}
		x0, _, err := sm.SampleNoise(backend, []int{n, 2}, 9)
		if err != nil {
			t.Fatal(err)
		}
		v := tensors.MustCopyFlatData[float32](x0)
		mx, my := mode(label)
		modes = map[int]bool{}
		for i := range n {
			px, py := float64(v[2*i]), float64(v[2*i+1])
			if math.Hypot(px-mx, py-my) < 0.5 {
				near++
			}
			a := math.Atan2(py, px)
			modes[(int(math.Round(a/(2*math.Pi/K)))+K)%K] = true
		}
		return near / n, modes
	}
	cond, _ := share([]int32{label}, 0)
	guided, _ := share([]int32{label}, 2)
	null, modes := share([]int32{K}, 0)
	t.Logf("share within 0.5 of mode %d: conditional %.3f, guided (w=2) %.3f, null label %.3f (modes hit %d)", label, cond, guided, null, len(modes))
	if cond < 0.8 || guided < 0.8 {
		t.Errorf("samples near mode %d: conditional %.3f, guided %.3f (want ≥ 0.8 each)", label, cond, guided)
	}
	if null > 0.3 || len(modes) < K {
		t.Errorf("null label: %.3f of the samples near mode %d (want ≤ 0.3, about 1/8), %d modes hit (want %d)", null, label, len(modes), K)
	}
}
