package nets

import (
	"slices"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// SpaceToDepth against its index formula y[b, i, j, (dy·p+dx)·C + c] =
// x[b, p·i+dy, p·j+dx, c], and DepthToSpace(SpaceToDepth(x)) = x exactly
// (both are reshapes and a transpose: no arithmetic), for p = 1, 2, 3.
func TestSpaceToDepthRoundTrip(t *testing.T) {
	const B, H, W, C = 2, 6, 12, 3
	xT, x := randTensor(81, B, H, W, C)
	for _, p := range []int{1, 2, 3} {
		outs := callN(t, model.NewStore(), func(_ *model.Scope, x *Node) []*Node {
			y := SpaceToDepth(x, p)
			return []*Node{y, DepthToSpace(y, p)}
		}, xT)
		checkDims(t, "SpaceToDepth", outs[0], B, H/p, W/p, p*p*C)
		y, back := values(t, outs[0]), values(t, outs[1])
		h, w, pc := H/p, W/p, p*p*C
		for b := range B {
			for i := range h {
				for j := range w {
					for dy := range p {
						for dx := range p {
							for c := range C {
								got := y[((b*h+i)*w+j)*pc+(dy*p+dx)*C+c]
								want := x[((b*H+p*i+dy)*W+p*j+dx)*C+c]
								if got != want {
									t.Fatalf("p=%d: y[%d, %d, %d, %d] = %g, want x[%d, %d, %d, %d] = %g", p, b, i, j, (dy*p+dx)*C+c, got, b, p*i+dy, p*j+dx, c, want)
								}
							}
						}
					}
				}
			}
		}
		if d := maxAbsDiff(back, x); d != 0 {
			t.Errorf("p=%d: DepthToSpace(SpaceToDepth(x)) differs from x by %g", p, d)
		}
	}
}

func TestSpaceToDepthPanics(t *testing.T) {
	expectPanic(t, func(_ *model.Scope, g *Graph) { SpaceToDepth(Zeros(g, shapeF32(2, 28, 28, 1)), 3) }, "multiples of p", "p=3", "(Float32)[2, 28, 28, 1]")
	expectPanic(t, func(_ *model.Scope, g *Graph) { DepthToSpace(Zeros(g, shapeF32(2, 7, 7, 6)), 2) }, "p²·C", "p=2", "(Float32)[2, 7, 7, 6]")
}

// The parameter counts of the s2dunet.go table, on the host and in the
// store after a build (with the output shape and the reuse of the
// variables by a second call), for the default (p = 2, base 32, mults 1,2),
// p = 4 (base 64, one level), attention at 7, a learned-variance output and
// a conditional network.
func TestS2DUNetParameters(t *testing.T) {
	mnist := Spec{Dims: []int{28, 28, 1}}
	cases := []struct {
		cfg  S2DUNetConfig
		spec Spec
		want int // the doc comment's table; 0: not in it
	}{
		{S2DUNetConfig{}, mnist, 494820},
		{S2DUNetConfig{Patch: 4}, mnist, 500368},
		{S2DUNetConfig{UNetConfig: UNetConfig{AttentionRes: []int{7}}}, mnist, 545124},
		{S2DUNetConfig{UNetConfig: UNetConfig{Base: 8, Groups: 4}}, Spec{Dims: []int{8, 8, 1}, OutFactor: 2}, 0},
		{S2DUNetConfig{UNetConfig: UNetConfig{Base: 8, Groups: 4}}, Spec{Dims: []int{8, 8, 1}, NumClasses: 10}, 0},
	}
	for _, c := range cases {
		n, err := c.cfg.For(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if c.want != 0 && n.NumParameters() != c.want {
			t.Errorf("%s: NumParameters %d, want %d", n.Summary(), n.NumParameters(), c.want)
		}
		S, C := c.spec.Dims[0], c.spec.Dims[2]
		checkBuild(t, n, S, C, c.spec.outFactor()*C)
	}
	// The learned-variance head adds p²·(2C − C) outputs to the inner U-Net's last conv: 9·8·4 + 4.
	lv := S2DUNetConfig{UNetConfig: UNetConfig{Base: 8, Groups: 4, ImageSize: 8, OutChannels: 2}}
	if d := lv.NumParameters() - (S2DUNetConfig{UNetConfig: UNetConfig{Base: 8, Groups: 4, ImageSize: 8}}).NumParameters(); d != 9*8*4+4 {
		t.Errorf("learned variance adds %d parameters, want %d", d, 9*8*4+4)
	}
	// Space-to-depth has no parameters: the count is the inner U-Net's, whose
	// input is [14, 14, 4] (494,820: the layer-by-layer count in the doc of
	// S2DUNetConfig, nets/s2dunet.go).
	if n := (UNetConfig{Base: 32, Mults: []int{1, 2}, ImageSize: 14, InChannels: 4}).NumParameters(); n != 494820 {
		t.Errorf("the inner U-Net of the default has %d parameters, want 494,820", n)
	}
}

// The network is the inner U-Net between SpaceToDepth and DepthToSpace:
// with the same (random) variables, the U-Net of Inner() on SpaceToDepth(x)
// gives the same output, moved back to full resolution.
func TestS2DUNetIsInnerUNet(t *testing.T) {
	cfg := S2DUNetConfig{Patch: 2, UNetConfig: UNetConfig{Base: 8, Groups: 4, ImageSize: 8, AttentionRes: []int{2}}}
	xT, _ := randTensor(82, 2, 8, 8, 1)
	tsT := tensors.FromValue([]int32{5, 500})
	store := model.NewStore()
	build := func(scope *model.Scope, x, tt *Node) []*Node {
		return []*Node{cfg.Net()(scope, x, tt), DepthToSpace(cfg.Inner().Net()(scope, SpaceToDepth(x, 2), tt), 2)}
	}
	callN(t, store, build, xT, tsT)
	seed := uint64(83)
	for v := range store.IterVariables() { // the head starts at zero: give every variable a value
		if v.Trainable {
			r, _ := randTensor(seed, v.Shape().Dimensions...)
			setValue(t, v, tensors.FromFlatDataAndDimensions(scaled(tensors.MustCopyFlatData[float32](r), 0.1), v.Shape().Dimensions...))
			seed++
		}
	}
	outs := callN(t, store, build, xT, tsT)
	a, b := values(t, outs[0]), values(t, outs[1])
	if d, m := maxAbsDiff(a, b), maxAbsDiff(a, make([]float64, len(a))); d != 0 || m == 0 {
		t.Errorf("s2d-unet vs its inner U-Net: max diff %g (want 0), max |output| %g (want > 0)", d, m)
	}
}

// One ddpm.Trainer step of the default s2d-unet on 28×28 (the zero head:
// loss ≈ 1).
func TestS2DUNetTrainStep(t *testing.T) {
	n, err := S2DUNetConfig{}.For(Spec{Dims: []int{28, 28, 1}})
	if err != nil {
		t.Fatal(err)
	}
	checkFirstStep(t, n, 28)
}

// A small s2d-unet (p = 2, base 16: the U-Net on 8×8×4) overfits one fixed
// batch of 16×16 squares as the U-Net does (TestUNetSmallTrains). Seen:
// 0.983 → 0.644 in 30 steps (Go backend, seed 4); base 8 reached only 0.87
// in 20.
func TestS2DUNetSmallTrains(t *testing.T) {
	n, err := S2DUNetConfig{UNetConfig: UNetConfig{Base: 16, Groups: 4}}.For(Spec{Dims: []int{16, 16, 1}})
	if err != nil {
		t.Fatal(err)
	}
	checkOverfits(t, n, 16, 30, 3e-3, 0.85)
}

// For completes the configuration from the data and refuses, as a
// *field.Error on the field, what contradicts it or is out of range.
func TestS2DUNetFor(t *testing.T) {
	mnist := Spec{Dims: []int{28, 28, 1}}
	n, err := S2DUNetConfig{}.For(Spec{Dims: []int{28, 28, 1}, OutFactor: 2, NumClasses: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := n.(S2DUNetConfig)
	if got.Patch != 2 || got.Base != 32 || !slices.Equal(got.Mults, []int{1, 2}) || got.ImageSize != 28 || got.InChannels != 1 || got.OutChannels != 2 || got.NumClasses != 10 {
		t.Errorf("For(MNIST, learned variance, 10 classes) = %+v", got)
	}
	if in := got.Inner(); in.ImageSize != 14 || in.InChannels != 4 || in.OutChannels != 8 || in.NumClasses != 10 {
		t.Errorf("its inner U-Net: %+v", in)
	}
	if n, _ := (S2DUNetConfig{Patch: 4}).For(mnist); n.(S2DUNetConfig).Base != 64 || !slices.Equal(n.(S2DUNetConfig).Mults, []int{1}) {
		t.Errorf("Patch 4 defaults: %+v, want base 64, mults [1] (side 7 is odd)", n)
	}
	for _, c := range []struct {
		what         string
		cfg          S2DUNetConfig
		spec         Spec
		owner, field string
	}{
		{"a patch that does not divide 28", S2DUNetConfig{Patch: 3}, mnist, "S2DUNetConfig", "Patch"},
		{"a patch too large", S2DUNetConfig{Patch: 9}, mnist, "S2DUNetConfig", "Patch"},
		{"p² channels too many", S2DUNetConfig{Patch: 8}, Spec{Dims: []int{32, 32, 3}}, "S2DUNetConfig", "Patch"},
		{"two levels at side 7", S2DUNetConfig{Patch: 4, UNetConfig: UNetConfig{Mults: []int{1, 2}}}, mnist, "UNetConfig", "Mults"},
		{"groups that do not divide the base", S2DUNetConfig{UNetConfig: UNetConfig{Base: 36}}, mnist, "UNetConfig", "Groups"},
		{"attention at a side the U-Net lacks", S2DUNetConfig{UNetConfig: UNetConfig{AttentionRes: []int{28}}}, mnist, "UNetConfig", "AttentionRes"},
		{"an image size the data contradicts", S2DUNetConfig{UNetConfig: UNetConfig{ImageSize: 32}}, mnist, "S2DUNetConfig", "ImageSize"},
		{"a label count the data contradicts", S2DUNetConfig{UNetConfig: UNetConfig{NumClasses: 3}}, mnist, "S2DUNetConfig", "NumClasses"},
		{"a dropout out of range", S2DUNetConfig{UNetConfig: UNetConfig{Dropout: 1}}, mnist, "UNetConfig", "Dropout"},
	} {
		_, err := c.cfg.For(c.spec)
		wantFieldError(t, c.what, err, c.owner, c.field)
	}
	if _, err := (S2DUNetConfig{}).For(Spec{Dims: []int{2}}); err == nil {
		t.Error("For(points): no error")
	}
}

// The registry: the network's flags are the U-Net's (through the embedded
// UNetConfig, with the U-Net's field owner, so that the command line maps
// a field error to its flag) plus -patch, with For's defaults; the flags
// reach the embedded fields; the JSON encoding is flat and decodes back.
func TestS2DUNetRegistry(t *testing.T) {
	if !slices.Contains(Names(true), "s2d-unet") || !IsImageNet("s2d-unet") {
		t.Fatalf("s2d-unet is not a registered image network: %v", Names(true))
	}
	mnist := Spec{Dims: []int{28, 28, 1}}
	zero, help, s := netFlags(t, "s2d-unet", mnist, "-base", "48", "-mults", "1,2", "-attention", "7", "-patch", "2")
	checkFlags(t, "s2d-unet", help, s, map[string][3]string{ // flag → owner, field, default
		"base": {"UNetConfig", "Base", "32"}, "mults": {"UNetConfig", "Mults", "1,2"}, "groups": {"UNetConfig", "Groups", "8"},
		"attention": {"UNetConfig", "AttentionRes", ""}, "dropout": {"UNetConfig", "Dropout", ""}, "patch": {"S2DUNetConfig", "Patch", "2"},
	})
	n, err := zero.For(mnist)
	if err != nil {
		t.Fatal(err)
	}
	if n.NumParameters() != 1218580 {
		t.Errorf("-base 48 -mults 1,2 -attention 7 -patch 2: %d parameters, want 1,218,580 (the table)", n.NumParameters())
	}
	checkJSONRoundTrip(t, n, "Base", "Mults", "AttentionRes", "Patch", "ImageSize")
}

// Inside ddpm's DDIM sampler (a graph.While body), after one training step.
func TestS2DUNetInSampler(t *testing.T) {
	backend := testBackend(t)
	cfg := S2DUNetConfig{UNetConfig: UNetConfig{Base: 8, Groups: 4, ImageSize: 8, AttentionRes: []int{2}}}
	store := model.NewStore()
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{T: 100})
	tr, err := ddpm.NewTrainer(backend, store, s, cfg.Net(), ddpm.TrainConfig{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	x0, _ := squares(2, 8)
	if _, _, err := tr.Step(x0); err != nil {
		t.Fatal(err)
	}
	sampleFinite(t, backend, store, s, cfg.Net(), 8)
}
