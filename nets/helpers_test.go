package nets

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend" // registers the pure-Go backend
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// testConfig is the pure-Go backend forced to run a graph's ops one after
// another (each op still uses every core): the deadlock workaround of
// gomlxfix.GoSequential (here the default U-Net's training step, batch 2,
// hung in 2 of 5 serial runs of this package without it).
const testConfig = gomlxfix.GoSequential

var (
	goBackendOnce sync.Once
	goBackend     compute.Backend
	goBackendErr  error
)

// testBackend is GoMLX's pure-Go backend (see testConfig), on which these
// tests run whatever backend.New would pick: it builds graphs in
// milliseconds, while XLA CPU takes 0.3–1 s to compile each of the many
// small graphs here (and far more for a whole U-Net training step).
// xlaBackend covers the XLA path.
//
// The tests on this backend do not call t.Parallel: with the same pool
// shared by concurrent executions, two at once also hung (one more way to
// exhaust it). Only the XLA tests run in parallel, after these.
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	goBackendOnce.Do(func() { goBackend, goBackendErr = compute.NewWithConfig(testConfig) })
	if goBackendErr != nil {
		t.Fatal(goBackendErr)
	}
	return goBackend
}

// xlaBackend is backend.New's backend when it picked XLA (a PJRT plugin is installed
// or $GOMLX_BACKEND asks for it); otherwise the test is skipped.
func xlaBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := backendpkg.New()
	if err != nil {
		t.Fatal(err)
	}
	if backendpkg.PlatformOf(b) == backendpkg.PlatformGo {
		t.Skipf("no XLA backend (backend.New picked %s)", backendpkg.Name())
	}
	return b
}

// callN builds fn on store and runs it once on the pure-Go backend.
func callN[F model.ExecGraphFn](t testing.TB, store *model.Store, fn F, args ...any) []*tensors.Tensor {
	t.Helper()
	return callOn(t, testBackend(t), store, fn, args...)
}

func callOn[F model.ExecGraphFn](t testing.TB, backend compute.Backend, store *model.Store, fn F, args ...any) []*tensors.Tensor {
	t.Helper()
	out, err := model.CallOnceN(backend, store, fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// randomInit initialises every variable (weights, biases, norms) from
// N(0, std²) drawn from the store's RNG, so that tests exercise non-zero
// biases and non-trivial norms.
func randomInit(store *model.Store, std float64) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		return MulScalar(store.RandomNormal(g, shape), std)
	}
}

// randTensor is a float32 tensor of N(0,1) values from a fixed-seed source,
// with its values as float64 for references.
func randTensor(seed uint64, dims ...int) (*tensors.Tensor, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	n := 1
	for _, d := range dims {
		n *= d
	}
	f32 := make([]float32, n)
	f64 := make([]float64, n)
	for i := range f32 {
		f32[i] = float32(rng.NormFloat64())
		f64[i] = float64(f32[i])
	}
	return tensors.FromFlatDataAndDimensions(f32, dims...), f64
}

func values(t testing.TB, tt *tensors.Tensor) []float64 {
	t.Helper()
	d := tensors.MustCopyFlatData[float32](tt)
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = float64(v)
	}
	return out
}

// varValues reads a variable of store as float64.
func varValues(t testing.TB, store *model.Store, path string) []float64 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %q in the store", path)
	}
	return values(t, v.MustValue())
}

func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func checkDims(t testing.TB, what string, got *tensors.Tensor, want ...int) {
	t.Helper()
	d := got.Shape().Dimensions
	if len(d) != len(want) {
		t.Fatalf("%s: shape %v, want %v", what, d, want)
	}
	for i := range d {
		if d[i] != want[i] {
			t.Fatalf("%s: shape %v, want %v", what, d, want)
		}
	}
}

// expectPanic builds fn on a fresh graph and store and checks that it panics
// with a message containing every one of want.
func expectPanic(t *testing.T, fn func(scope *model.Scope, g *Graph), want ...string) {
	t.Helper()
	g := NewGraph(testBackend(t), "panic")
	defer g.Finalize()
	store := model.NewStore()
	model.SetStore(g, store)
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", want)
		}
		msg := ""
		switch e := r.(type) {
		case error:
			msg = e.Error()
		case string:
			msg = e
		default:
			t.Fatalf("panic with %T %v", r, r)
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("panic %q does not mention %q", msg, w)
			}
		}
	}()
	fn(store.RootScope(), g)
}

func shapeF32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

// tensorOf rounds x to a float32 tensor and returns it with the rounded values.
func tensorOf(x []float64, dims ...int) (*tensors.Tensor, []float64) {
	f32 := make([]float32, len(x))
	r := make([]float64, len(x))
	for i, v := range x {
		f32[i] = float32(v)
		r[i] = float64(f32[i])
	}
	return tensors.FromFlatDataAndDimensions(f32, dims...), r
}
