package nets

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Checks shared by the image networks' tests (s2dunet_test.go, uvit_test.go).

// checkBuild builds n (completed by For for images [S, S, C]) on a batch
// of 2 twice on the same scope object and checks the output shape
// [2, S, S, OutChannels], that the second call reuses the variables (same
// output), and that NumParameters equals the store's trainable count. With
// labels (NumClasses > 0) it goes through CondNet with labels. It returns
// the store and the first output.
func checkBuild(t *testing.T, n Network, S, C, out int) (*model.Store, []float64) {
	t.Helper()
	store := model.NewStore()
	xT, _ := randTensor(90, 2, S, S, C)
	tsT := tensors.FromValue([]int32{3, 900})
	var outs []*tensors.Tensor
	if cond := labelCount(n); cond > 0 {
		outs = callN(t, store, func(scope *model.Scope, x, tt, y *Node) []*Node {
			net, sc := n.CondNet(), scope.In(ddpm.NetScope)
			return []*Node{net(sc, x, tt, y), net(sc, x, tt, y)}
		}, xT, tsT, tensors.FromValue([]int32{1, int32(cond)}))
	} else {
		outs = callN(t, store, func(scope *model.Scope, x, tt *Node) []*Node {
			net, sc := n.Net(), scope.In(ddpm.NetScope)
			return []*Node{net(sc, x, tt), net(sc, x, tt)}
		}, xT, tsT)
	}
	checkDims(t, n.Summary()+" output", outs[0], 2, S, S, out)
	if got, want := trainableParams(store), n.NumParameters(); got != want {
		t.Errorf("%s: %d parameters in the store, NumParameters says %d", n.Summary(), got, want)
	}
	a, b := values(t, outs[0]), values(t, outs[1])
	if d := maxAbsDiff(a, b); d != 0 {
		t.Errorf("%s: two calls on the same scope differ by %g", n.Summary(), d)
	}
	return store, a
}

func labelCount(n Network) int {
	v := reflect.ValueOf(n).FieldByName("NumClasses")
	if !v.IsValid() {
		return 0
	}
	return int(v.Int())
}

// checkFirstStep takes one ddpm.Trainer step of n on a fixed batch of 2
// S×S one-channel squares: with a zero-initialised head ε̂ = 0 and the
// first loss is mean(ε²) ≈ 1 (2·S² draws: ±5 standard errors =
// ±5·√(2/(2S²))); the gradient norm is finite and > 0.
func checkFirstStep(t *testing.T, n Network, S int) {
	t.Helper()
	store := model.NewStore()
	tr, err := ddpm.NewTrainer(testBackend(t), store, ddpm.MustNewSchedule(ddpm.ScheduleConfig{}), n.Net(), ddpm.TrainConfig{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	x0, _ := squares(2, S)
	loss, gradNorm, err := tr.Step(x0)
	if err != nil {
		t.Fatal(err)
	}
	tol := 5 * math.Sqrt(2/float64(2*S*S))
	if math.Abs(loss-1) > tol || !(gradNorm > 0) || math.IsInf(gradNorm, 0) {
		t.Errorf("%s, first step: loss %g (want 1 ± %.2f), gradient norm %g (want finite > 0)", n.Summary(), loss, tol, gradNorm)
	}
	if loss2, _, err := tr.Step(x0); err != nil || math.IsNaN(loss2) {
		t.Errorf("%s, second step: loss %g, %v", n.Summary(), loss2, err)
	}
}

// checkOverfits trains n with ddpm.NewTrainer on one fixed batch of 4
// S×S squares: L_simple at fixed (t, ε) on that batch must fall below
// frac of its value before training within steps steps.
func checkOverfits(t *testing.T, n Network, S, steps int, lr, frac float64) {
	t.Helper()
	const B = 4
	net := n.Net()
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{})
	backend := testBackend(t)
	store := model.NewStore()
	tr, err := ddpm.NewTrainer(backend, store, s, net, ddpm.TrainConfig{LearningRate: lr, Seed: 4})
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
	if _, _, err := tr.Step(x0); err != nil { // creates the variables
		t.Fatal(err)
	}
	before := evalLoss()
	for range steps - 1 {
		if _, _, err := tr.Step(x0); err != nil {
			t.Fatal(err)
		}
	}
	after := evalLoss()
	t.Logf("%s: fixed-batch L_simple %.4f after 1 step, %.4f after %d", n.Summary(), before, after, steps)
	if !(after < frac*before) {
		t.Errorf("%s: fixed-batch L_simple went from %.4f to %.4f in %d steps, want below %.0f%% of the start", n.Summary(), before, after, steps, 100*frac)
	}
}

// wantFieldError checks that err is a *field.Error on owner.name.
func wantFieldError(t *testing.T, what string, err error, owner, name string) {
	t.Helper()
	fe := field.As(err)
	if fe == nil {
		t.Errorf("%s: error %v, want a *field.Error on %s.%s", what, err, owner, name)
		return
	}
	if fe.Owner != owner || fe.Field != name {
		t.Errorf("%s: error on %s (%v), want one on %s.%s", what, fe.Path(), err, owner, name)
	}
}

// checkJSONRoundTrip encodes n and decodes it through the registry: the
// same configuration comes back, and the encoding holds each of keys.
func checkJSONRoundTrip(t *testing.T, n Network, keys ...string) {
	t.Helper()
	raw, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(n.Name(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, n) {
		t.Errorf("JSON round trip of %s: got %+v, want %+v", raw, back, n)
	}
	for _, k := range keys {
		if !json.Valid(raw) || !containsKey(raw, k) {
			t.Errorf("the encoding %s lacks the field %q", raw, k)
		}
	}
}

func containsKey(raw []byte, key string) bool {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// sampleFinite draws 2 DDIM-4 samples [2, S, S, 1] from the network trained in store
// and checks that they are finite.
func sampleFinite(t *testing.T, backend compute.Backend, store *model.Store, s *ddpm.Schedule, net ddpm.Net, S int) {
	t.Helper()
	in := func(scope *model.Scope, xt, tt *Node) *Node {
		return net(scope.Store().Scope("/"+ddpm.NetScope), xt, tt)
	}
	sm, err := ddpm.NewSampler(backend, store, s, in, ddpm.SampleConfig{Kind: ddpm.DDIM, Steps: 4})
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := sm.SampleNoise(backend, []int{2, S, S, 1}, 6)
	if err != nil {
		t.Fatal(err)
	}
	checkDims(t, "sample", x, 2, S, S, 1)
	for _, v := range values(t, x) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("non-finite sample value %g", v)
		}
	}
}
