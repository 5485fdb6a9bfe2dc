package nets

import (
	"math"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// testdata/REFERENCES.md ("Reference networks"): the MNIST ε-U-Net has 776,929 parameters.
// Counted on the host and in the store after one build on a batch of 2,
// which also checks the output shape and that calling the net twice on the
// same scope object reuses the variables (a sampler may do so).
func TestUNetDefaultParameters(t *testing.T) {
	const want = 776929
	cfg := UNetConfig{}
	if n := cfg.NumParameters(); n != want {
		t.Errorf("UNetConfig{}.NumParameters() = %d, want %d", n, want)
	}
	store := model.NewStore()
	xT, _ := randTensor(71, 2, 28, 28, 1)
	outs := callN(t, store, func(scope *model.Scope, x, tt *Node) []*Node {
		net, sc := cfg.Net(), scope.In(ddpm.NetScope)
		return []*Node{net(sc, x, tt), net(sc, x, tt)}
	}, xT, tensors.FromValue([]int32{3, 900}))
	checkDims(t, "U-Net output", outs[0], 2, 28, 28, 1)
	if n := trainableParams(store); n != want {
		t.Errorf("the built U-Net has %d parameters, want %d", n, want)
	}
	if d := maxAbsDiff(values(t, outs[0]), values(t, outs[1])); d != 0 {
		t.Errorf("two calls on the same scope differ by %g", d)
	}
}

// One training step of the default U-Net (ddpm.Trainer: L_simple, its
// gradient and Adam) builds and runs on the pure-Go backend on a batch of 2.
func TestUNetTrainStep(t *testing.T) {
	store := model.NewStore()
	tr, err := ddpm.NewTrainer(testBackend(t), store, ddpm.MustNewSchedule(ddpm.ScheduleConfig{}), UNetConfig{}.Net(), ddpm.TrainConfig{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	x0, _ := squares(2, 28)
	loss, gradNorm, err := tr.Step(x0)
	if err != nil {
		t.Fatal(err)
	}
	// The output head starts at zero: ε̂ = 0 and the loss is mean(ε²) ≈ 1
	// (1568 draws: ±5 standard errors ≈ ±0.18).
	if math.Abs(loss-1) > 0.18 || !(gradNorm > 0) || math.IsInf(gradNorm, 0) {
		t.Errorf("first step: loss %g (want ≈ 1), gradient norm %g (want finite > 0)", loss, gradNorm)
	}
}

// squares is a fixed batch of n S×S one-channel images in [−1, 1]: a bright
// square at a different place on a dark background in each.
func squares(n, S int) (*tensors.Tensor, []float64) {
	x := make([]float64, n*S*S)
	for i := range x {
		x[i] = -1
	}
	side := S / 3
	for b := range n {
		r0, c0 := (2*b+1)%(S-side), (3*b+2)%(S-side)
		for r := r0; r < r0+side; r++ {
			for c := c0; c < c0+side; c++ {
				x[(b*S+r)*S+c] = 1
			}
		}
	}
	return tensorOf(x, n, S, S, 1)
}

// A small U-Net (base 8) trained with ddpm.NewTrainer on one fixed batch:
// L_simple at fixed (t, ε) on that batch must fall well below its initial
// value of ≈ 1 within 20 steps (about 4 s).
func TestUNetSmallTrains(t *testing.T) {
	const B, S, steps = 4, 16, 20
	cfg := UNetConfig{Base: 8, Groups: 4, ImageSize: S}
	net := cfg.Net()
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{})
	backend := testBackend(t)
	store := model.NewStore()
	tr, err := ddpm.NewTrainer(backend, store, s, net, ddpm.TrainConfig{LearningRate: 3e-3, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	x0, _ := squares(B, S)
	epsT, _ := randTensor(72, B, S, S, 1)
	tsT := tensors.FromValue([]int32{50, 250, 450, 650})
	eval, err := model.NewExec(backend, store, func(scope *model.Scope, x0, tt, eps *Node) *Node {
		xt := ddpm.QSample(s, x0, tt, eps)
		return ddpm.LSimple(s, ddpm.PredictEps, net(scope.Store().Scope("/"+ddpm.NetScope), xt, tt), x0, eps, tt)
	})
	if err != nil {
		t.Fatal(err)
	}
	evalLoss := func() float64 {
		out, err := eval.Call(x0, tsT, epsT)
		if err != nil {
			t.Fatal(err)
		}
		return float64(tensors.ToScalar[float32](out[0]))
	}
	before := evalLoss()
	for range steps {
		if _, _, err := tr.Step(x0); err != nil {
			t.Fatal(err)
		}
	}
	after := evalLoss()
	t.Logf("fixed-batch L_simple: %.4f before, %.4f after %d steps", before, after, steps)
	// Seen: 0.988 → 0.680 (Go backend, seed 4).
	if !(after < 0.85*before) {
		t.Errorf("fixed-batch L_simple went from %.4f to %.4f in %d steps, want below 85%% of the start", before, after, steps)
	}
}

// The U-Net inside ddpm's samplers (a graph.While body): a tiny net with
// self-attention at 4×4 (in the down and up paths and the middle), DDIM and
// annealed Langevin (which calls the net in the loop body and once more in
// the main function, on the same scope). On the pure-Go backend, after one
// training step; TestUNetInSamplersXLA does the same on XLA, where it
// exercises the two go-xla v0.3.0 workarounds of capture.go.
func TestUNetInSamplers(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyAttentionUNet()
	store := model.NewStore()
	tr, err := ddpm.NewTrainer(backend, store, ddpm.MustNewSchedule(ddpm.ScheduleConfig{T: 100}), cfg.Net(), ddpm.TrainConfig{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	x0, _ := squares(2, 8)
	if _, _, err := tr.Step(x0); err != nil { // creates the variables
		t.Fatal(err)
	}
	if n, want := trainableParams(store), cfg.NumParameters(); n != want {
		t.Errorf("U-Net with attention: %d parameters in the store, %d counted on the host", n, want)
	}
	testSamplers(t, backend, store, cfg)
}

func TestUNetInSamplersXLA(t *testing.T) {
	t.Parallel() // XLA only: see testBackend
	backend := xlaBackend(t)
	cfg := tinyAttentionUNet()
	store := model.NewStore()
	xT, _ := randTensor(74, 2, 8, 8, 1)
	// A forward pass on the Go backend creates the variables (an XLA
	// training step would take ~10 s to compile, a forward pass seconds).
	callN(t, store, func(scope *model.Scope, x, tt *Node) *Node {
		return cfg.Net()(scope.In(ddpm.NetScope), x, tt)
	}, xT, tensors.FromValue([]int32{1, 2}))
	for v := range store.IterVariables() { // detach them from the Go backend
		if err := v.MustValue().ToLocal(); err != nil {
			t.Fatal(err)
		}
	}
	testSamplers(t, backend, store, cfg)
}

func tinyAttentionUNet() UNetConfig {
	return UNetConfig{Base: 8, Mults: []int{1, 2}, Groups: 4, ImageSize: 8, AttentionRes: []int{4}}
}

func testSamplers(t *testing.T, backend compute.Backend, store *model.Store, cfg UNetConfig) {
	t.Helper()
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{T: 100})
	samplers := []ddpm.SampleConfig{{Kind: ddpm.DDIM, Steps: 4}, {Kind: ddpm.Langevin, Steps: 3, LangevinK: 2}}
	if backend.String() != gobackend.BackendName {
		// Langevin alone covers both go-xla workarounds (a body and a main-function
		// call), and each XLA compile costs seconds.
		samplers = samplers[1:]
	}
	for _, sc := range samplers {
		sm, err := ddpm.NewSampler(backend, store, s, cfg.Net(), sc)
		if err != nil {
			t.Fatal(err)
		}
		x, _, err := sm.SampleNoise(backend, []int{2, 8, 8, 1}, 6)
		if err != nil {
			t.Fatalf("%s sampler on %s: %v", sc.Kind, backend.String(), err)
		}
		checkDims(t, string(sc.Kind)+" sample", x, 2, 8, 8, 1)
		for _, v := range values(t, x) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s: non-finite sample value %g", sc.Kind, v)
			}
		}
	}
}

// The whole (small) U-Net with every variable random gives the same output
// with im2col and with the native convolution; and the host count matches
// the store with attention at two resolutions.
func TestUNetConvPathsAgree(t *testing.T) {
	base := UNetConfig{Base: 8, Groups: 4, ImageSize: 16, AttentionRes: []int{4, 8}}
	xT, _ := randTensor(73, 1, 16, 16, 1)
	tsT := tensors.FromValue([]int32{321})
	store := model.NewStore()
	build := func(algo ConvAlgo) func(*model.Scope, *Node, *Node) *Node {
		cfg := base
		cfg.Conv = algo
		return func(scope *model.Scope, x, tt *Node) *Node { return cfg.Net()(scope, x, tt) }
	}
	callN(t, store, build(ConvIm2Col), xT, tsT)
	if n, want := trainableParams(store), base.NumParameters(); n != want {
		t.Errorf("%d parameters in the store, %d counted on the host", n, want)
	}
	seed := uint64(80)
	for v := range store.IterVariables() {
		if v.Trainable {
			r, _ := randTensor(seed, v.Shape().Dimensions...)
			scale := 1 / math.Sqrt(float64(max(1, v.Shape().Size()/v.Shape().Dimensions[v.Shape().Rank()-1])))
			setValue(t, v, tensors.FromFlatDataAndDimensions(scaled(tensors.MustCopyFlatData[float32](r), scale), v.Shape().Dimensions...))
			seed++
		}
	}
	im2col := values(t, callN(t, store, build(ConvIm2Col), xT, tsT)[0])
	native := values(t, callN(t, store, build(ConvNative), xT, tsT)[0])
	scale := 0.0
	for _, v := range native {
		scale = max(scale, math.Abs(v))
	}
	if d := maxAbsDiff(im2col, native); !(d <= 1e-5*max(1, scale)) {
		t.Errorf("U-Net output: im2col vs native max diff %g (outputs up to %g)", d, scale)
	}
}

func scaled(v []float32, s float64) []float32 {
	for i := range v {
		v[i] *= float32(s)
	}
	return v
}

func TestUNetPanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		UNetConfig{}.Net()(scope, Zeros(g, shapeF32(2, 28, 28, 3)), Const(g, []int32{1, 2}))
	}, "xt must be [B, 28, 28, 1]", "(Float32)[2, 28, 28, 3]")
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		UNetConfig{}.Net()(scope, Zeros(g, shapeF32(2, 28, 28, 1)), Const(g, []int32{1}))
	}, "t must be [B=2]", "(Int32)[1]")
	expectPanic(t, func(*model.Scope, *Graph) { UNetConfig{Base: 12}.Net() }, "12 channels", "Groups = 8")
	expectPanic(t, func(*model.Scope, *Graph) { UNetConfig{ImageSize: 30}.Net() }, "30 is not a multiple of 4", "use fewer levels")
}

// trainableParams counts the scalars of the store's trainable variables (the
// network's; the RNG state and the optimizer's are not trainable).
func trainableParams(store *model.Store) int {
	n := 0
	for v := range store.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n
}

// OutChannels (a learned-variance network's 2·InChannels outputs): the
// output shape and the host count against the store.
func TestUNetOutChannels(t *testing.T) {
	cfg := UNetConfig{Base: 8, Mults: []int{1, 2}, OutChannels: 2, ImageSize: 8}
	store := model.NewStore()
	xT, _ := randTensor(72, 2, 8, 8, 1)
	out := callN(t, store, func(scope *model.Scope, x, tt *Node) *Node {
		return cfg.Net()(scope.In(ddpm.NetScope), x, tt)
	}, xT, tensors.FromValue([]int32{3, 900}))[0]
	checkDims(t, "U-Net output", out, 2, 8, 8, 2)
	if n, want := trainableParams(store), cfg.NumParameters(); n != want || want != (UNetConfig{Base: 8, Mults: []int{1, 2}, ImageSize: 8}).NumParameters()+8*9+1 {
		t.Errorf("the built U-Net has %d parameters, NumParameters says %d", n, want)
	}
}

// A class-conditional U-Net: count, Net() = CondNet(∅), labels matter.
func TestUNetCondNet(t *testing.T) {
	cfg := UNetConfig{Base: 8, Mults: []int{1, 2}, ImageSize: 8, NumClasses: 10}
	store := model.NewStore()
	xT, _ := randTensor(73, 2, 8, 8, 1)
	build := func(scope *model.Scope, x, tt, y *Node) []*Node {
		sc := scope.In(ddpm.NetScope)
		null := Const(x.Graph(), []int32{10, 10})
		return []*Node{cfg.Net()(sc, x, tt), cfg.CondNet()(sc, x, tt, null), cfg.CondNet()(sc, x, tt, y)}
	}
	args := []any{xT, tensors.FromValue([]int32{3, 900}), tensors.FromValue([]int32{7, 2})}
	callN(t, store, build, args...) // creates the variables; then random values everywhere (the output conv starts at 0)
	for v := range store.IterVariables() {
		if v.Trainable {
			r, _ := randTensor(uint64(len(v.Path())), v.Shape().Dimensions...)
			if err := v.SetValue(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	outs := callN(t, store, build, args...)
	if n, want := trainableParams(store), cfg.NumParameters(); n != want || want != (UNetConfig{Base: 8, Mults: []int{1, 2}, ImageSize: 8}).NumParameters()+11*32 {
		t.Errorf("the built U-Net has %d parameters, NumParameters says %d", n, want)
	}
	if d := maxAbsDiff(values(t, outs[0]), values(t, outs[1])); d != 0 {
		t.Errorf("Net() vs CondNet(∅): max diff %g, want 0", d)
	}
	if d := maxAbsDiff(values(t, outs[1]), values(t, outs[2])); d == 0 {
		t.Error("the labels do not change the output")
	}
}
