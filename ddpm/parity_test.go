package ddpm

import (
	"math"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/pjrt"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The same graphs on XLA CPU and on the pure-Go backend give the same numbers
// within float32 tolerance. Only graphs without random draws are compared:
// the two backends' RNGs produce different streams for one seed.
func TestBackendParityXLAvsGo(t *testing.T) {
	if _, ok := pjrt.AvailablePlugins()["cpu"]; !ok {
		t.Skip("no XLA CPU PJRT plugin installed (scripts/install-xla-cpu.sh): parity not checked")
	}
	goB, err := compute.NewWithConfig(gomlxfix.GoSequential)
	if err != nil {
		t.Fatal(err)
	}
	xlaB, err := compute.NewWithConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	s := MustNewSchedule(ScheduleConfig{T: 100, Rescale: true})
	noise, err := StandardNormal(goB, []int{256, 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	xTflat := tensors.MustCopyFlatData[float32](noise)
	results := map[string][][]float64{}
	for name, b := range map[string]compute.Backend{"go": goB, "xla": xlaB} {
		xT := tensors.FromFlatDataAndDimensions(xTflat, 256, 2) // a fresh host tensor per backend
		// A deterministic DDIM chain (η = 0) with a non-linear ε-net: the optimal
		// ε of N(0.3, 0.5) data plus 0.1·sin(x_t).
		gauss := GaussianDataEps(s, 0.3, 0.5)
		net := func(sc *model.Scope, xt, tt *Node) *Node { return Add(gauss(sc, xt, tt), MulScalar(Sin(xt), 0.1)) }
		sm, err := NewSampler(b, model.NewStore(), s, net, SampleConfig{Kind: DDIM, Steps: 20, ClipX0: 3})
		if err != nil {
			t.Fatal(err)
		}
		x0, _, err := sm.Sample(xT, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Losses, VLB terms and the posterior on fixed inputs.
		tt := make([]int32, 256)
		for i := range tt {
			tt[i] = int32(i % s.T)
		}
		outs, err := CallOnceN(b, func(x, tt *Node) []*Node {
			eps := Sin(MulScalar(x, 3))
			xt := QSample(s, x, tt, eps)
			out := Tanh(xt)
			return []*Node{
				Reshape(LSimple(s, PredictV, out, x, eps, tt), 1),
				VLBTermBPD(s, FixedSmall, PredictEps, out, ClipScalar(x, -1, 1), xt, tt, 1),
				PosteriorMeanFromX0(s, xt, x, tt),
			}
		}, xT, tensors.FromValue(tt))
		if err != nil {
			t.Fatal(err)
		}
		results[name] = [][]float64{flat32(x0), flat32(outs[0]), flat32(outs[1]), flat32(outs[2])}
	}
	for k, label := range []string{"DDIM chain x_0", "L_simple (v)", "VLB terms", "posterior mean"} {
		a, b := results["go"][k], results["xla"][k]
		worst := 0.0
		for i := range a {
			worst = math.Max(worst, math.Abs(a[i]-b[i])/(1+math.Abs(a[i])))
		}
		// float32 with different op fusion and transcendental kernels: 1e-4 relative.
		if worst > 1e-4 {
			t.Errorf("%s: Go vs XLA differ by %.3g (relative)", label, worst)
		}
		t.Logf("%s: max relative difference Go vs XLA %.2g", label, worst)
	}
}
