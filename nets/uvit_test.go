package nets

import (
	"slices"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The parameter counts of the uvit.go table, on the host and in the store
// after a build (with the output shape and the reuse of the variables by
// a second call); and the variants: learned variance, conditional, the
// final conv, SiLU, another MLP ratio, one block.
func TestUViTParameters(t *testing.T) {
	mnist := Spec{Dims: []int{28, 28, 1}}
	cases := []struct {
		cfg  UViTConfig
		spec Spec
		want int // the doc comment's table; 0: not in it
	}{
		{UViTConfig{}, mnist, 1518224},
		{UViTConfig{Width: 64, Depth: 9}, mnist, 494608},
		{UViTConfig{Patch: 2, Width: 64}, mnist, 394244},
		{UViTConfig{Patch: 2, Width: 32, Depth: 3}, Spec{Dims: []int{8, 8, 1}, OutFactor: 2}, 0},
		{UViTConfig{Patch: 2, Width: 32, Depth: 3, FinalConv: true, Activation: "silu"}, Spec{Dims: []int{8, 8, 1}, NumClasses: 10}, 0},
		{UViTConfig{Patch: 4, Width: 24, Depth: 1, Heads: 3, MLPRatio: 2, TimeEmbedDim: 8}, Spec{Dims: []int{8, 8, 3}}, 0},
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
		_, out := checkBuild(t, n, S, C, c.spec.outFactor()*C)
		// The zero-initialised head (and a final conv of it, whose bias starts at 0): a new network predicts 0.
		if m := maxAbsDiff(out, make([]float64, len(out))); m != 0 {
			t.Errorf("%s: a new network's output reaches %g, want 0", n.Summary(), m)
		}
	}
	// What each option adds, from the architecture.
	base := UViTConfig{Patch: 2, Width: 32, Depth: 3, ImageSize: 8}
	with := func(f func(*UViTConfig)) int { c := base; f(&c); return c.NumParameters() - base.NumParameters() }
	for _, d := range []struct {
		what      string
		got, want int
	}{
		{"learned variance (head 32 → 2²·2)", with(func(c *UViTConfig) { c.OutChannels = 2 }), 4 * (32 + 1)},
		{"10 classes (11 label rows, one more token)", with(func(c *UViTConfig) { c.NumClasses = 10 }), 11*32 + 32},
		{"the final 3×3 conv 1→1", with(func(c *UViTConfig) { c.FinalConv = true }), 9 + 1},
		{"two more blocks (one in, one out with its skip)", with(func(c *UViTConfig) { c.Depth = 5 }), 2*(12*32*32+13*32) + 2*32*32 + 32},
	} {
		if d.got != d.want {
			t.Errorf("%s adds %d parameters, want %d", d.what, d.got, d.want)
		}
	}
}

// A class-conditional U-ViT with random weights: Net() is CondNet(∅), and
// the label token changes the output.
func TestUViTCondNet(t *testing.T) {
	cfg := UViTConfig{Patch: 2, Width: 32, Depth: 3, ImageSize: 8, NumClasses: 10}
	store := model.NewStore()
	xT, _ := randTensor(84, 2, 8, 8, 1)
	build := func(scope *model.Scope, x, tt, y *Node) []*Node {
		null := Const(x.Graph(), []int32{10, 10})
		return []*Node{cfg.Net()(scope, x, tt), cfg.CondNet()(scope, x, tt, null), cfg.CondNet()(scope, x, tt, y)}
	}
	args := []any{xT, tensors.FromValue([]int32{3, 900}), tensors.FromValue([]int32{7, 2})}
	callN(t, store, build, args...)
	seed := uint64(85)
	for v := range store.IterVariables() { // the head starts at zero
		if v.Trainable {
			r, _ := randTensor(seed, v.Shape().Dimensions...)
			setValue(t, v, tensors.FromFlatDataAndDimensions(scaled(tensors.MustCopyFlatData[float32](r), 0.2), v.Shape().Dimensions...))
			seed++
		}
	}
	outs := callN(t, store, build, args...)
	if d := maxAbsDiff(values(t, outs[0]), values(t, outs[1])); d != 0 {
		t.Errorf("Net() vs CondNet(∅): max diff %g, want 0", d)
	}
	if d := maxAbsDiff(values(t, outs[1]), values(t, outs[2])); d == 0 {
		t.Error("the labels do not change the output")
	}
}

// Each output patch depends on every input patch (attention) and on t (the
// time token): with random weights, changing one pixel of the top-left
// patch changes the bottom-right patch's output, and so does t.
func TestUViTMixesTokensAndTime(t *testing.T) {
	cfg := UViTConfig{Patch: 2, Width: 32, Depth: 1, ImageSize: 8}
	store := model.NewStore()
	_, x := randTensor(86, 1, 8, 8, 1)
	x2 := slices.Clone(x)
	x2[0] += 1
	xT, _ := tensorOf(append(slices.Clone(x), x2...), 2, 8, 8, 1)
	build := func(scope *model.Scope, x, tt *Node) *Node { return cfg.Net()(scope, x, tt) }
	callN(t, store, build, xT, tensors.FromValue([]int32{10, 10}))
	seed := uint64(87)
	for v := range store.IterVariables() {
		if v.Trainable {
			r, _ := randTensor(seed, v.Shape().Dimensions...)
			setValue(t, v, tensors.FromFlatDataAndDimensions(scaled(tensors.MustCopyFlatData[float32](r), 0.3), v.Shape().Dimensions...))
			seed++
		}
	}
	same := values(t, callN(t, store, build, xT, tensors.FromValue([]int32{10, 10}))[0])
	last := func(v []float64, b int) float64 { return v[b*64+63] } // pixel (7, 7) of image b
	if last(same, 0) == last(same, 1) {
		t.Error("a change at pixel (0, 0) does not reach the output at (7, 7)")
	}
	xsame, _ := tensorOf(append(slices.Clone(x), x...), 2, 8, 8, 1)
	times := values(t, callN(t, store, build, xsame, tensors.FromValue([]int32{10, 600}))[0])
	if last(times, 0) == last(times, 1) {
		t.Error("t does not change the output")
	}
}

// One ddpm.Trainer step of the default U-ViT on 28×28 (the zero head: loss ≈ 1).
func TestUViTTrainStep(t *testing.T) {
	n, err := UViTConfig{}.For(Spec{Dims: []int{28, 28, 1}})
	if err != nil {
		t.Fatal(err)
	}
	checkFirstStep(t, n, 28)
}

// A small U-ViT (p = 2 on 16×16: 64 patch tokens, width 32, 3 blocks)
// overfits one fixed batch of squares. Seen: 0.958 → 0.300 in 30 steps
// (Go backend, seed 4).
func TestUViTSmallTrains(t *testing.T) {
	n, err := UViTConfig{Patch: 2, Width: 32, Depth: 3}.For(Spec{Dims: []int{16, 16, 1}})
	if err != nil {
		t.Fatal(err)
	}
	checkOverfits(t, n, 16, 30, 3e-3, 0.85)
}

// For completes the configuration from the data and refuses, as a
// *field.Error on the field, what contradicts it or is out of range.
func TestUViTFor(t *testing.T) {
	mnist := Spec{Dims: []int{28, 28, 1}}
	n, err := UViTConfig{Width: 96}.For(Spec{Dims: []int{28, 28, 1}, OutFactor: 2, NumClasses: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := n.(UViTConfig)
	if got.Patch != 4 || got.Width != 96 || got.Heads != 3 || got.Depth != 7 || got.MLPRatio != 4 || got.Activation != "gelu" || got.OutChannels != 2 || got.NumClasses != 10 {
		t.Errorf("For(MNIST, learned variance, 10 classes) = %+v", got)
	}
	if n, _ := (UViTConfig{Width: 100}).For(mnist); n.(UViTConfig).Heads != 1 {
		t.Errorf("width 100: %d heads by default, want 1", n.(UViTConfig).Heads)
	}
	for _, c := range []struct {
		what  string
		cfg   UViTConfig
		spec  Spec
		field string
	}{
		{"a patch that does not divide 28", UViTConfig{Patch: 3}, mnist, "Patch"},
		{"a patch too large", UViTConfig{Patch: 28}, mnist, "Patch"},
		{"an even depth", UViTConfig{Depth: 4}, mnist, "Depth"},
		{"heads that do not divide the width", UViTConfig{Heads: 3}, mnist, "Heads"},
		{"a negative width", UViTConfig{Width: -1}, mnist, "Width"},
		{"an MLP ratio out of range", UViTConfig{MLPRatio: 17}, mnist, "MLPRatio"},
		{"an unknown activation", UViTConfig{Activation: "relu"}, mnist, "Activation"},
		{"an odd time embedding", UViTConfig{TimeEmbedDim: 5}, mnist, "TimeEmbedDim"},
		{"an image size the data contradicts", UViTConfig{ImageSize: 32}, mnist, "ImageSize"},
		{"output channels the objective contradicts", UViTConfig{OutChannels: 2}, mnist, "OutChannels"},
	} {
		_, err := c.cfg.For(c.spec)
		wantFieldError(t, c.what, err, "UViTConfig", c.field)
	}
	if _, err := (UViTConfig{}).For(Spec{Dims: []int{28, 14, 1}}); err == nil {
		t.Error("For(non-square images): no error")
	}
}

// The registry: flags with For's defaults (uvit.go's table), the flags
// set, the JSON encoding.
func TestUViTRegistry(t *testing.T) {
	if !slices.Contains(Names(true), "uvit") {
		t.Fatalf("uvit is not a registered image network: %v", Names(true))
	}
	mnist := Spec{Dims: []int{28, 28, 1}}
	zero, help, s := netFlags(t, "uvit", mnist, "-patch", "2", "-width", "64", "-depth", "7", "-final-conv", "-activation", "silu")
	checkFlags(t, "uvit", help, s, map[string][3]string{ // flag → owner, field, default
		"patch": {"UViTConfig", "Patch", "4"}, "width": {"UViTConfig", "Width", "128"}, "depth": {"UViTConfig", "Depth", "7"},
		"heads": {"UViTConfig", "Heads", "4"}, "mlp-ratio": {"UViTConfig", "MLPRatio", "4"},
		"activation": {"UViTConfig", "Activation", `"gelu"`}, "final-conv": {"UViTConfig", "FinalConv", ""},
	})
	n, err := zero.For(mnist)
	if err != nil {
		t.Fatal(err)
	}
	if n.NumParameters() != 394244+10 {
		t.Errorf("-patch 2 -width 64 -final-conv: %d parameters, want 394,254", n.NumParameters())
	}
	checkJSONRoundTrip(t, n, "Patch", "Width", "Depth", "Heads", "MLPRatio", "Activation", "FinalConv", "ImageSize")
}

// Inside ddpm's DDIM sampler (a graph.While body), after one training step.
func TestUViTInSampler(t *testing.T) {
	backend := testBackend(t)
	cfg := UViTConfig{Patch: 2, Width: 32, Depth: 3, ImageSize: 8, FinalConv: true}
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

func TestUViTPanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		UViTConfig{}.Net()(scope, Zeros(g, shapeF32(2, 28, 28, 3)), Const(g, []int32{1, 2}))
	}, "xt must be [B, 28, 28, 1]", "(Float32)[2, 28, 28, 3]")
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		UViTConfig{}.Net()(scope, Zeros(g, shapeF32(2, 28, 28, 1)), Const(g, []int32{1}))
	}, "t must be [B=2]", "(Int32)[1]")
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		UViTConfig{}.CondNet()(scope, Zeros(g, shapeF32(2, 28, 28, 1)), Const(g, []int32{1, 2}), Const(g, []int32{1, 2}))
	}, "unconditional U-ViT")
	expectPanic(t, func(*model.Scope, *Graph) { UViTConfig{Depth: 2}.Net() }, "UViTConfig.Depth = 2", "odd")
}
