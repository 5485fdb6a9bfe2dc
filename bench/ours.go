package bench

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	benchmarks "github.com/janpfeifer/go-benchmarks"
)

// GoBackendConfig is what plain "go" runs as (backend.SafeConfig): the
// pure-Go backend's default op scheduling can deadlock on U-Net steps, see
// gomlxfix.GoSequential.
const GoBackendConfig = gomlxfix.GoSequential

// Ours is our [Side] on one backend: the cases of [Cases] at opt.Sizes, each
// built on first use. The MLP and the U-Net are trained for one untimed step
// when first needed, which compiles the step and creates the variables the
// forward and sampling cases read.
type Ours struct {
	backend compute.Backend
	name    string
	opt     Options
	sched   *ddpm.Schedule
	rng     *rand.Rand
	mlp     *ddpm.Trainer
	unet    *ddpm.Trainer
	cpu     map[string]*ddpm.Trainer // the issue-21 networks' trainers, by cpuNets key
	fns     map[string]func() error  // the prepared cases
	est     map[string]time.Duration // one call's time, from the sizing call of Prepare
}

// NewOurs prepares our side on backend (nothing is built until [Ours.Prepare]).
func NewOurs(backend compute.Backend, opt Options) (*Ours, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	sched, err := ddpm.NewSchedule(ddpm.ScheduleConfig{T: opt.Sizes.T})
	if err != nil {
		return nil, err
	}
	o := &Ours{backend: backend, name: backendpkg.NameOf(backend), opt: opt, sched: sched, rng: rand.New(rand.NewPCG(1, 2)),
		fns: map[string]func() error{}, est: map[string]time.Duration{}, cpu: map[string]*ddpm.Trainer{}}
	fmt.Fprintf(opt.Progress, "bench: ours on %s, sizes %+v, %d warm-up calls per case, then %d rounds of %d timed calls, GOMAXPROCS=%d, load %s\n",
		o.name, opt.Sizes, opt.warmups(), opt.Rounds, opt.Reps, runtime.GOMAXPROCS(0), loadAvg())
	return o, nil
}

// Prepare builds case c if needed, runs opt.Warmup untimed calls, then one
// more untimed call whose time sizes [Ours.Time].
func (o *Ours) Prepare(c string) error {
	fn, ok := o.fns[c]
	if !ok {
		var err error
		if fn, err = o.build(c); err != nil {
			return fmt.Errorf("bench: %s on %s: %w", c, o.name, err)
		}
		o.fns[c] = fn
	}
	label := fmt.Sprintf("%s [%s]", c, o.name)
	for i := range o.opt.warmups() {
		start := time.Now()
		if err := fn(); err != nil {
			return fmt.Errorf("bench: %s: %w", label, err)
		}
		fmt.Fprintf(o.opt.Progress, "bench: %s warm-up %d/%d: %.1f ms\n", label, i+1, o.opt.warmups(), ms(time.Since(start)))
	}
	start := time.Now()
	if err := fn(); err != nil {
		return fmt.Errorf("bench: %s: %w", label, err)
	}
	o.est[c] = time.Since(start)
	return nil
}

// Time times at least reps calls of the prepared case c, and at least
// opt.MinRound of calls, with go-benchmarks (see [measure]).
func (o *Ours) Time(c string, reps int) ([]float64, error) {
	fn, ok := o.fns[c]
	if !ok {
		return nil, fmt.Errorf("bench: %s on %s: not prepared", c, o.name)
	}
	times, err := measure(fmt.Sprintf("%s [%s]", c, o.name), o.est[c], reps, o.opt.minRound(), o.opt.Progress, fn)
	if err != nil {
		return nil, fmt.Errorf("bench: %s on %s: %w", c, o.name, err)
	}
	return times, nil
}

// build returns the function that runs case c once.
func (o *Ours) build(c string) (func() error, error) {
	sz, rng := o.opt.Sizes, o.rng
	switch c {
	case MLPTrain, MLPChain, MLPForward:
		net := nets.MLPConfig{}.Net()
		if o.mlp == nil {
			tr, err := trainedStore(o.backend, o.sched, net, normal(rng, sz.MLPBatch, 2), MLPParams, "mlp", o.opt.Progress)
			if err != nil {
				return nil, err
			}
			o.mlp = tr
		}
		tr := o.mlp
		switch c {
		case MLPTrain:
			x0 := normal(rng, sz.MLPBatch, 2)
			return func() error { _, _, err := tr.Step(x0); return err }, nil
		case MLPChain:
			sm, err := ddpm.NewSampler(o.backend, tr.Store, o.sched, net, ddpm.SampleConfig{Kind: ddpm.Ancestral})
			if err != nil {
				return nil, err
			}
			xT := normal(rng, sz.ChainPoints, 2)
			return func() error {
				x, _, err := sm.Sample(xT, 7)
				return toHost(err, x)
			}, nil
		default:
			return forwardCase(o.backend, tr.Store, net, normal(rng, sz.ChainPoints, 2), steps(rng, sz.ChainPoints, sz.T))
		}
	case UNetTrain, UNetForward:
		net := nets.UNetConfig{}.Net()
		if o.unet == nil {
			tr, err := trainedStore(o.backend, o.sched, net, uniform(rng, sz.UNetBatch, 28, 28, 1), UNetParams, "unet", o.opt.Progress)
			if err != nil {
				return nil, err
			}
			o.unet = tr
		}
		tr := o.unet
		if c == UNetTrain {
			x0 := uniform(rng, sz.UNetBatch, 28, 28, 1)
			return func() error { _, _, err := tr.Step(x0); return err }, nil
		}
		return forwardCase(o.backend, tr.Store, net, uniform(rng, sz.UNetBatch, 28, 28, 1), steps(rng, sz.UNetBatch, sz.T))
	case S2DUNetTrain, S2DUNetForward, UViTTrain, UViTForward:
		return o.cpuNetCase(c)
	}
	return nil, fmt.Errorf("unknown case %q", c)
}

// cpuNets are the networks of the issue-21 cases (nets' defaults, for
// MNIST), by case name prefix, with the parameter counts the peer has too.
var cpuNets = map[string]struct {
	net    nets.Network
	params int
}{
	"s2dunet": {nets.S2DUNetConfig{}, S2DUNetParams},
	"uvit":    {nets.UViTConfig{}, UViTParams},
}

// cpuNetCase builds an s2dunet_* or uvit_* case: a training step of the
// network on x0 [CPUBatch, 28, 28, 1], or its forward on the trained store.
func (o *Ours) cpuNetCase(c string) (func() error, error) {
	sz, rng := o.opt.Sizes, o.rng
	key, kind, _ := strings.Cut(c, "_")
	entry := cpuNets[key]
	n, err := entry.net.For(nets.Spec{Dims: []int{28, 28, 1}})
	if err != nil {
		return nil, err
	}
	net := n.Net()
	tr, ok := o.cpu[key]
	if !ok {
		if tr, err = trainedStore(o.backend, o.sched, net, uniform(rng, sz.CPUBatch, 28, 28, 1), entry.params, key, o.opt.Progress); err != nil {
			return nil, err
		}
		o.cpu[key] = tr
	}
	if kind == "train" {
		x0 := uniform(rng, sz.CPUBatch, 28, 28, 1)
		return func() error { _, _, err := tr.Step(x0); return err }, nil
	}
	return forwardCase(o.backend, tr.Store, net, uniform(rng, sz.CPUBatch, 28, 28, 1), steps(rng, sz.CPUBatch, sz.T))
}

// RunOursWith times opt.Cases on backend alone (no peer): each case
// prepared, then opt.Rounds rounds of opt.Reps calls, pooled into one [Stats].
func RunOursWith(backend compute.Backend, opt Options) (map[string]Stats, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	ours, err := NewOurs(backend, opt)
	if err != nil {
		return nil, err
	}
	out := map[string]Stats{}
	for _, c := range opt.Cases {
		r, err := Alternate(c, ours, nil, opt.Rounds, opt.Reps, opt.Progress)
		if err != nil {
			return nil, err
		}
		out[c] = r.OursStats()
	}
	return out, nil
}

// trainedStore makes a Trainer of net on a new store and takes one untimed
// step (it compiles the step and creates the variables that the forward and
// sampling cases read), then checks the parameter count.
func trainedStore(backend compute.Backend, sched *ddpm.Schedule, net ddpm.Net, x0 *tensors.Tensor, wantParams int, label string, pw io.Writer) (*ddpm.Trainer, error) {
	tr, err := ddpm.NewTrainer(backend, model.NewStore(), sched, net, ddpm.TrainConfig{Seed: 1})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if _, _, err := tr.Step(x0); err != nil {
		return nil, fmt.Errorf("bench: first %s training step: %w", label, err)
	}
	n := countParams(tr.Store)
	fmt.Fprintf(pw, "bench: %s: %d parameters; first training step (with compilation) %.0f ms\n", label, n, ms(time.Since(start)))
	if n != wantParams {
		return nil, fmt.Errorf("bench: the %s has %d parameters, want %d: not the network the peer runs", label, n, wantParams)
	}
	return tr, nil
}

// forwardCase compiles ε_θ(x, t) reading the trainer's variables (under
// ddpm.NetScope) and returns one call of it on x, t.
func forwardCase(backend compute.Backend, store *model.Store, net ddpm.Net, x, t *tensors.Tensor) (func() error, error) {
	fwd, err := model.NewExec(backend, store, func(scope *model.Scope, x, t *Node) *Node {
		return net(scope.Store().Scope("/"+ddpm.NetScope), x, t)
	})
	if err != nil {
		return nil, err
	}
	return func() error {
		y, err := fwd.Call1(x, t)
		return toHost(err, y)
	}, nil
}

// countParams sums the sizes of the trainable variables under /net.
func countParams(store *model.Store) int {
	prefix := model.JoinPath(model.RootScopePath, ddpm.NetScope) + model.ScopeSeparator
	n := 0
	for v := range store.IterVariables() {
		if v.Trainable && strings.HasPrefix(v.Path(), prefix) {
			n += v.Shape().Size()
		}
	}
	return n
}

// toHost brings the outputs to the host (as torch returns host tensors), then
// frees them.
func toHost(err error, ts ...*tensors.Tensor) error {
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t == nil {
			continue
		}
		if _, err := tensors.CopyFlatData[float32](t); err != nil {
			return err
		}
		if err := t.FinalizeAll(); err != nil {
			return err
		}
	}
	return nil
}

func normal(rng *rand.Rand, dims ...int) *tensors.Tensor {
	data := make([]float32, prod(dims))
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

func uniform(rng *rand.Rand, dims ...int) *tensors.Tensor {
	data := make([]float32, prod(dims))
	for i := range data {
		data[i] = float32(2*rng.Float64() - 1)
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

func steps(rng *rand.Rand, n, T int) *tensors.Tensor {
	data := make([]int32, n)
	for i := range data {
		data[i] = int32(rng.IntN(T))
	}
	return tensors.FromFlatDataAndDimensions(data, n)
}

func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// measure hands fn to go-benchmarks for max((reps − ½) × est, minRound),
// est being one call's time, then times more calls of its own until at
// least reps calls and minRound of call time are done (go-benchmarks stops
// at a wall-clock timer, which a long first call or a wrong est can leave
// short of either). The go-benchmarks table (mean, median, 10th/90th
// percentiles, count) is printed on os.Stdout; the returned times (ms) are
// those of every timed call, the extra ones included.
func measure(label string, est time.Duration, reps int, minRound time.Duration, pw io.Writer, fn func() error) (times []float64, err error) {
	var runErr error
	var total time.Duration
	timed := func() {
		if runErr != nil {
			return
		}
		start := time.Now()
		if runErr = fn(); runErr == nil {
			d := time.Since(start)
			total += d
			times = append(times, ms(d))
		}
	}
	// go-benchmarks v0.1.1 divides by the number of calls, which is 0 if its
	// timer fires before the first call: keep the duration well above zero.
	d := max(time.Duration((float64(reps)-0.5)*float64(est)), minRound, 10*time.Millisecond)
	fmt.Fprintf(pw, "bench: %s: sizing call %.1f ms, timing for %v (at least %d calls and %v of calls)\n", label, ms(est), d.Round(time.Millisecond), reps, minRound)
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("go-benchmarks: %v", r)
			}
		}()
		benchmarks.New(benchmarks.NamedFunction{Name: label, Func: timed}).
			WithWarmUps(0).WithDuration(d).WithQuantiles(10, 90).WithColumnSize(11).Done()
	}()
	if err != nil {
		return nil, err
	}
	for runErr == nil && (len(times) < reps || total < minRound) {
		timed()
	}
	if runErr != nil {
		return nil, runErr
	}
	if len(times) == 0 {
		return nil, errors.New("no timed call")
	}
	return times, nil
}
