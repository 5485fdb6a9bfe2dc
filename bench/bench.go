// Package bench times ddpm-go against a PyTorch peer (bench/peer.py) on the
// same networks and the same work:
//
//	mlp_train     one training step (ddpm.Trainer.Step: Algorithm 1, Adam, L_simple,
//	              random t and ε) of nets.MLPConfig{} (141,058 parameters) on x0 [1024, 2]
//	unet_train    the same for nets.UNetConfig{} (776,929 parameters) on x0 [128, 28, 28, 1]
//	unet_forward  one U-Net forward ε_θ(x_t, t) on [128, 28, 28, 1] (a model.Exec on the trained store)
//	mlp_chain     a 1000-step ancestral chain (ddpm.NewSampler, Kind Ancestral) on [2000, 2]
//	mlp_forward   one MLP forward on [2000, 2] (for "chain vs 1000 × forward")
//
// Each case runs Warmup untimed calls (the first one compiles) and one untimed
// sizing call, then github.com/janpfeifer/go-benchmarks times it for about
// Reps calls and prints its table (mean, median, percentiles). That library
// (v0.1.1) returns no numbers and estimates its quantiles, so [Stats] holds the
// exact median and 10th/90th percentiles of the same calls, computed the same
// way here and in peer.py (linear interpolation between order statistics).
// Every timed Go call ends with its results on the host, as torch's do.
//
// Results of a shared, loaded machine are not to be trusted: OpenMP threads
// spin while they wait, so torch with 2 threads on a machine whose other core
// is busy can be 10–20× slower than on an idle one. The load average is
// reported with each run.
package bench

import (
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	benchmarks "github.com/janpfeifer/go-benchmarks"
)

// The benchmark cases, by name (shared with peer.py).
const (
	MLPTrain    = "mlp_train"
	UNetTrain   = "unet_train"
	UNetForward = "unet_forward"
	MLPChain    = "mlp_chain"
	MLPForward  = "mlp_forward"
)

// Cases lists every case in the order they run and are reported.
var Cases = []string{MLPTrain, UNetTrain, UNetForward, MLPChain, MLPForward}

// Parameter counts both implementations must have (NOTES.md, "Speeds measured").
const (
	MLPParams  = 141058
	UNetParams = 776929
)

// Stats summarises the timed calls of one case, in milliseconds.
type Stats struct {
	MedianMs float64 `json:"median_ms"`
	P10Ms    float64 `json:"p10_ms"`
	P90Ms    float64 `json:"p90_ms"`
	N        int     `json:"n"` // number of timed calls
}

// Result is one line of the comparison: our median over the peer's, per case
// and backend. Ratio = OursMs/PeerMs (0 when the peer has no time).
type Result struct {
	Name    string  `json:"name"`
	Backend string  `json:"backend"`
	OursMs  float64 `json:"ours_ms"`
	PeerMs  float64 `json:"peer_ms"`
	Ratio   float64 `json:"ratio"`
}

// Sizes are the problem sizes. The networks never change with them.
type Sizes struct {
	MLPBatch    int // mlp_train batch; 1024.
	UNetBatch   int // unet_train and unet_forward batch; 128.
	ChainPoints int // mlp_chain and mlp_forward points; 2000.
	T           int // diffusion steps (chain length, range of t); 1000.
}

var (
	// DefaultSizes are the sizes of NOTES.md's measurements.
	DefaultSizes = Sizes{MLPBatch: 1024, UNetBatch: 128, ChainPoints: 2000, T: 1000}
	// TinySizes make a smoke test that runs in seconds (same networks).
	TinySizes = Sizes{MLPBatch: 8, UNetBatch: 2, ChainPoints: 50, T: 10}
)

// Options configures [RunOursWith] and [RunPeerWith]. Zero values take the defaults given.
type Options struct {
	Cases    []string  // subset of Cases; default all.
	Reps     int       // about this many timed calls per case (see [measure]); default 5.
	Warmup   int       // untimed calls before timing (the first compiles); default 1. Negative: none.
	Sizes    Sizes     // default DefaultSizes.
	Progress io.Writer // one line per call (and the peer's stderr); default none.
	Python   string    // peer only: interpreter; default /usr/bin/python3 (Debian's python3-torch).
	Threads  int       // peer only: torch.set_num_threads; default 2.
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Cases) == 0 {
		o.Cases = Cases
	}
	for _, c := range o.Cases {
		if !slices.Contains(Cases, c) {
			return o, fmt.Errorf("bench: unknown case %q: use %s", c, strings.Join(Cases, ", "))
		}
	}
	if o.Reps == 0 {
		o.Reps = 5
	}
	if o.Warmup == 0 {
		o.Warmup = 1
	} else if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.Sizes == (Sizes{}) {
		o.Sizes = DefaultSizes
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Python == "" {
		o.Python = "/usr/bin/python3"
	}
	if o.Threads == 0 {
		o.Threads = 2
	}
	s := o.Sizes
	if o.Reps < 1 || o.Threads < 1 || s.MLPBatch < 1 || s.UNetBatch < 1 || s.ChainPoints < 1 || s.T < 1 {
		return o, fmt.Errorf("bench: want Reps, Threads and all Sizes ≥ 1, got Reps=%d Threads=%d Sizes=%+v", o.Reps, o.Threads, s)
	}
	return o, nil
}

// GoBackendConfig is what plain "go" runs as: see ddpm.SafeBackendConfig
// (the pure-Go backend's default op scheduling can deadlock on U-Net steps).
var GoBackendConfig = ddpm.SafeBackendConfig("go")

// SafeBackendConfig is ddpm.SafeBackendConfig.
func SafeBackendConfig(config string) string { return ddpm.SafeBackendConfig(config) }

// NewBackend is compute.NewWithConfig(config), with its panics (an unknown
// backend name panics in this compute version) turned into errors.
func NewBackend(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q: %v", config, r)
		}
	}()
	return compute.NewWithConfig(config)
}

// BackendName names a backend as $GOMLX_BACKEND does: "go", "xla:cpu", "xla:cuda".
func BackendName(b compute.Backend) string {
	if p, ok := b.(interface{ PluginName() string }); ok && p.PluginName() != "" {
		return b.Name() + ":" + p.PluginName()
	}
	return b.String() // the Go backend's String() is "go" (its Name() is "Go Backend")
}

// RunOurs times cases (nil: all) on backend at DefaultSizes, with reps timed
// calls each after one warm-up, writing progress lines to progress (may be nil).
func RunOurs(backend compute.Backend, cases []string, reps int, progress io.Writer) (map[string]Stats, error) {
	return RunOursWith(backend, Options{Cases: cases, Reps: reps, Progress: progress})
}

// RunOursWith is [RunOurs] with all options.
func RunOursWith(backend compute.Backend, opt Options) (map[string]Stats, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	sz, pw := opt.Sizes, opt.Progress
	name := BackendName(backend)
	fmt.Fprintf(pw, "bench: ours on %s, sizes %+v, %d warm-up + %d timed calls per case, GOMAXPROCS=%d, load %s\n",
		name, sz, opt.Warmup, opt.Reps, runtime.GOMAXPROCS(0), loadAvg())
	sched, err := ddpm.NewSchedule(ddpm.ScheduleConfig{T: sz.T})
	if err != nil {
		return nil, err
	}
	want := func(names ...string) bool {
		for _, n := range names {
			if slices.Contains(opt.Cases, n) {
				return true
			}
		}
		return false
	}
	rng := rand.New(rand.NewPCG(1, 2))
	out := map[string]Stats{}
	time1 := func(c string, fn func() error) error {
		st, err := measure(fmt.Sprintf("%s [%s]", c, name), opt.Warmup, opt.Reps, pw, fn)
		if err != nil {
			return fmt.Errorf("bench: %s on %s: %w", c, name, err)
		}
		out[c] = st
		return nil
	}

	if want(MLPTrain, MLPChain, MLPForward) {
		net := nets.MLPConfig{}.Net()
		x0 := normal(rng, sz.MLPBatch, 2)
		tr, err := trainedStore(backend, sched, net, x0, MLPParams, "mlp", pw)
		if err != nil {
			return nil, err
		}
		if want(MLPTrain) {
			if err := time1(MLPTrain, func() error { _, _, err := tr.Step(x0); return err }); err != nil {
				return nil, err
			}
		}
		if want(MLPChain) {
			sm, err := ddpm.NewSampler(backend, tr.Store, sched, ddpm.NetIn(net), ddpm.SampleConfig{Kind: ddpm.Ancestral})
			if err != nil {
				return nil, err
			}
			xT := normal(rng, sz.ChainPoints, 2)
			if err := time1(MLPChain, func() error {
				x, _, err := sm.Sample(xT, 7)
				return toHost(err, x)
			}); err != nil {
				return nil, err
			}
		}
		if want(MLPForward) {
			fwd, err := forwardExec(backend, tr.Store, net)
			if err != nil {
				return nil, err
			}
			x, t := normal(rng, sz.ChainPoints, 2), steps(rng, sz.ChainPoints, sz.T)
			if err := time1(MLPForward, func() error {
				y, err := fwd.Call1(x, t)
				return toHost(err, y)
			}); err != nil {
				return nil, err
			}
		}
	}

	if want(UNetTrain, UNetForward) {
		net := nets.UNetConfig{}.Net()
		x0 := uniform(rng, sz.UNetBatch, 28, 28, 1)
		tr, err := trainedStore(backend, sched, net, x0, UNetParams, "unet", pw)
		if err != nil {
			return nil, err
		}
		if want(UNetTrain) {
			if err := time1(UNetTrain, func() error { _, _, err := tr.Step(x0); return err }); err != nil {
				return nil, err
			}
		}
		if want(UNetForward) {
			fwd, err := forwardExec(backend, tr.Store, net)
			if err != nil {
				return nil, err
			}
			x, t := uniform(rng, sz.UNetBatch, 28, 28, 1), steps(rng, sz.UNetBatch, sz.T)
			if err := time1(UNetForward, func() error {
				y, err := fwd.Call1(x, t)
				return toHost(err, y)
			}); err != nil {
				return nil, err
			}
		}
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

// forwardExec compiles ε_θ(x, t) reading the trainer's variables (under ddpm.NetScope).
func forwardExec(backend compute.Backend, store *model.Store, net ddpm.Net) (*model.Exec, error) {
	in := ddpm.NetIn(net)
	return model.NewExec(backend, store, func(scope *model.Scope, x, t *Node) *Node { return in(scope, x, t) })
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

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measure runs fn warmup times untimed (the first call compiles), then one
// more untimed call that sizes the run, then hands fn to go-benchmarks for
// (reps − ½) × that call's time, so that about reps calls are timed. The
// go-benchmarks table (mean, median, 10th/90th percentiles, count) is printed
// on os.Stdout; the returned [Stats] are the exact order statistics of the
// very same calls, as peer.py computes them.
func measure(label string, warmup, reps int, pw io.Writer, fn func() error) (st Stats, err error) {
	for i := range warmup {
		start := time.Now()
		if err := fn(); err != nil {
			return Stats{}, err
		}
		fmt.Fprintf(pw, "bench: %s warm-up %d/%d: %.1f ms\n", label, i+1, warmup, ms(time.Since(start)))
	}
	start := time.Now()
	if err := fn(); err != nil {
		return Stats{}, err
	}
	est := time.Since(start)
	var times []float64
	var runErr error
	timed := func() {
		if runErr != nil {
			return
		}
		start := time.Now()
		if runErr = fn(); runErr == nil {
			times = append(times, ms(time.Since(start)))
		}
	}
	// go-benchmarks v0.1.1 divides by the number of calls, which is 0 if its
	// timer fires before the first call: keep the duration well above zero.
	d := max(time.Duration((float64(reps)-0.5)*float64(est)), 10*time.Millisecond)
	fmt.Fprintf(pw, "bench: %s: sizing call %.1f ms, timing for %v\n", label, ms(est), d.Round(time.Millisecond))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-benchmarks: %v", r)
		}
	}()
	benchmarks.New(benchmarks.NamedFunction{Name: label, Func: timed}).
		WithWarmUps(0).WithDuration(d).WithQuantiles(10, 90).WithColumnSize(11).Done()
	if runErr != nil {
		return Stats{}, runErr
	}
	if len(times) == 0 {
		return Stats{}, errors.New("no timed call")
	}
	return StatsOf(times), nil
}

// StatsOf summarises durations in ms: median and 10th/90th percentiles by
// linear interpolation between order statistics (numpy.percentile's default,
// and peer.py's). It panics on an empty slice.
func StatsOf(msTimes []float64) Stats {
	s := slices.Clone(msTimes)
	sort.Float64s(s)
	return Stats{MedianMs: percentile(s, 50), P10Ms: percentile(s, 10), P90Ms: percentile(s, 90), N: len(s)}
}

func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := float64(len(sorted)-1) * q / 100
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

// loadAvg is /proc/loadavg's 1, 5 and 15-minute averages, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// ---------------------------------------------------------------- the peer

//go:embed peer.py
var peerPy []byte

// PeerReport is peer.py's JSON output.
type PeerReport struct {
	Torch   string            `json:"torch"`
	Python  string            `json:"python"`
	Threads int               `json:"threads"`
	LoadAvg []float64         `json:"loadavg_start"`
	BLAS    json.RawMessage   `json:"blas"` // torch's BLAS_INFO, loaded BLAS libraries, sgemm 2048² GFLOP/s
	Params  map[string]int    `json:"params"`
	Sizes   map[string]int    `json:"sizes"`
	Warmup  int               `json:"warmup"`
	Reps    int               `json:"reps"`
	Cases   map[string]Stats  `json:"cases"`
	Env     map[string]string `json:"env"`
}

// RunPeer runs peer.py with python ("" = /usr/bin/python3) at DefaultSizes,
// reps timed calls per case after one warm-up, torch.set_num_threads(threads).
func RunPeer(python string, reps, threads int) (map[string]Stats, error) {
	r, err := RunPeerWith(Options{Python: python, Reps: reps, Threads: threads})
	if err != nil {
		return nil, err
	}
	return r.Cases, nil
}

// RunPeerWith runs peer.py (embedded in this package, written to a temporary
// file) with opt and returns its report. The peer's stderr goes to
// opt.Progress. When Debian's OpenBLAS-openmp folder exists it is put first on
// LD_LIBRARY_PATH, so that torch's generic libblas.so.3 resolves to it even if
// the system alternatives point elsewhere (see install-peer.sh).
func RunPeerWith(opt Options) (*PeerReport, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ddpm-peer-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "peer.py")
	if err := os.WriteFile(script, peerPy, 0o644); err != nil {
		return nil, err
	}
	sz := opt.Sizes
	args := []string{script,
		"--threads", fmt.Sprint(opt.Threads), "--reps", fmt.Sprint(opt.Reps), "--warmup", fmt.Sprint(opt.Warmup),
		"--cases", strings.Join(opt.Cases, ","),
		"--mlp-batch", fmt.Sprint(sz.MLPBatch), "--unet-batch", fmt.Sprint(sz.UNetBatch),
		"--chain-points", fmt.Sprint(sz.ChainPoints), "--T", fmt.Sprint(sz.T)}
	cmd := exec.Command(opt.Python, args...)
	cmd.Env = peerEnv()
	var stdout strings.Builder
	tail := &tailWriter{max: 2000}
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(opt.Progress, tail)
	fmt.Fprintf(opt.Progress, "bench: peer: %s peer.py --threads %d --reps %d (load %s)\n", opt.Python, opt.Threads, opt.Reps, loadAvg())
	if err := cmd.Run(); err != nil {
		last := strings.TrimSpace(tail.String())
		if i := strings.LastIndexByte(last, '\n'); i >= 0 {
			last = last[i+1:]
		}
		return nil, fmt.Errorf("bench: peer %s failed (%v): %s (run bench/install-peer.sh)", opt.Python, err, last)
	}
	var r PeerReport
	if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil {
		return nil, fmt.Errorf("bench: cannot parse the peer's JSON: %w", err)
	}
	if r.Params["mlp"] != MLPParams || r.Params["unet"] != UNetParams {
		return nil, fmt.Errorf("bench: peer parameter counts %v, want mlp %d and unet %d", r.Params, MLPParams, UNetParams)
	}
	for _, c := range opt.Cases {
		if _, ok := r.Cases[c]; !ok {
			return nil, fmt.Errorf("bench: the peer reported no %s", c)
		}
	}
	return &r, nil
}

func peerEnv() []string {
	env := os.Environ()
	arch := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[runtime.GOARCH]
	dir := filepath.Join("/usr/lib", arch, "openblas-openmp")
	if arch == "" {
		return env
	}
	if _, err := os.Stat(filepath.Join(dir, "libblas.so.3")); err != nil {
		return env
	}
	ld := dir
	if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
		ld += ":" + old
	}
	return append(env, "LD_LIBRARY_PATH="+ld)
}

// tailWriter keeps the last max bytes written.
type tailWriter struct {
	max int
	b   []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailWriter) String() string { return string(t.b) }

// ---------------------------------------------------------------- reporting

// Compare pairs our medians with the peer's, in [Cases] order, for every
// case we timed. A case the peer lacks gets PeerMs = Ratio = 0.
func Compare(backend string, ours, peer map[string]Stats) []Result {
	var rs []Result
	for _, c := range Cases {
		o, ok := ours[c]
		if !ok {
			continue
		}
		r := Result{Name: c, Backend: backend, OursMs: o.MedianMs}
		if p, ok := peer[c]; ok && p.MedianMs > 0 {
			r.PeerMs = p.MedianMs
			r.Ratio = o.MedianMs / p.MedianMs
		}
		rs = append(rs, r)
	}
	return rs
}

// Table prints results as an aligned table: case and backend (left-aligned),
// our median and the peer's (ms), and ours/peer ("-" where the peer has no time).
func Table(w io.Writer, results []Result) {
	rows := [][]string{{"case", "backend", "ours ms", "peer ms", "ours/peer"}}
	for _, r := range results {
		peer, ratio := "-", "-"
		if r.PeerMs > 0 {
			peer, ratio = fmtMs(r.PeerMs), fmt.Sprintf("%.2f×", r.Ratio)
		}
		rows = append(rows, []string{r.Name, r.Backend, fmtMs(r.OursMs), peer, ratio})
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-*s  %-*s  %*s  %*s  %*s\n", width[0], row[0], width[1], row[1], width[2], row[2], width[3], row[3], width[4], row[4])
	}
}

func fmtMs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// ChainVsForward is the chain time over T × one forward on the same points
// (1 would mean no per-step overhead beyond the network; the target is ≤ 1.2).
// ok is false unless stats holds both mlp_chain and mlp_forward.
func ChainVsForward(stats map[string]Stats, T int) (ratio float64, ok bool) {
	c, ok1 := stats[MLPChain]
	f, ok2 := stats[MLPForward]
	if !ok1 || !ok2 || f.MedianMs <= 0 || T < 1 {
		return 0, false
	}
	return c.MedianMs / (float64(T) * f.MedianMs), true
}

// ChainTargetRatio is the target of [ChainVsForward].
const ChainTargetRatio = 1.2

// PrintChainVsForward prints one line "chain vs T × forward" for label (a backend or "torch").
func PrintChainVsForward(w io.Writer, label string, stats map[string]Stats, T int) {
	r, ok := ChainVsForward(stats, T)
	if !ok {
		fmt.Fprintf(w, "chain vs %d × forward (%s): needs both %s and %s\n", T, label, MLPChain, MLPForward)
		return
	}
	verdict := "within target"
	if r > ChainTargetRatio {
		verdict = "OVER target"
	}
	fmt.Fprintf(w, "chain vs %d × forward (%s): chain %s ms, %d × forward %s ms → %.2f× (target ≤ %.1f×: %s)\n",
		T, label, fmtMs(stats[MLPChain].MedianMs), T, fmtMs(float64(T)*stats[MLPForward].MedianMs), r, ChainTargetRatio, verdict)
}

// WriteJSON writes results as a JSON array to path atomically (a temporary
// file in the same folder, then a rename).
func WriteJSON(path string, results []Result) error {
	if results == nil {
		results = []Result{}
	}
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// ReadJSON reads a file written by [WriteJSON].
func ReadJSON(path string) ([]Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []Result
	if err := json.Unmarshal(data, &rs); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return rs, nil
}

// ---------------------------------------------------------------- one call for the command line

// Config is what `ddpm bench` needs: [Run] times each backend, runs the peer
// once, prints the table and the chain check, and writes Out.
type Config struct {
	// Backends are $GOMLX_BACKEND-style configurations, each reported under its
	// configuration string: "go" (run as [GoBackendConfig]), "go:parallelism=-1",
	// "xla:cpu", …; default {"xla:cpu", "go"}. They run in this order, in
	// one process: XLA first, because the pure-Go backend leaves a large Go
	// heap whose garbage collection then slows the XLA timings (measured:
	// MLP step 17.9 ms after the Go backend, 10.5 ms alone).
	Backends []string
	Options         // cases, reps, warm-up, sizes, python, threads, progress.
	Out      string // results JSON path; "" writes none.
	NoPeer   bool   // skip the peer (ours only; ratios are then "-").
}

// Run runs the whole benchmark. It writes the table and the chain lines to
// stdout, progress to cfg.Progress, and returns the results. A backend that
// cannot start (say, no XLA plugin) is reported on stdout and skipped; Run
// errors if none ran, or if the peer fails.
func Run(cfg Config, stdout io.Writer) ([]Result, error) {
	opt, err := cfg.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(cfg.Backends) == 0 {
		cfg.Backends = []string{"xla:cpu", "go"}
	}
	var peer map[string]Stats
	if !cfg.NoPeer {
		r, err := RunPeerWith(opt)
		if err != nil {
			return nil, err
		}
		peer = r.Cases
		var blas struct {
			GFLOPS float64 `json:"sgemm_2048_gflops"`
		}
		_ = json.Unmarshal(r.BLAS, &blas)
		fmt.Fprintf(stdout, "peer: torch %s, %d threads, sgemm 2048² %.1f GFLOP/s, load at start %v\n", r.Torch, r.Threads, blas.GFLOPS, r.LoadAvg)
	}
	var all []Result
	var errs []error
	for _, bc := range cfg.Backends {
		name := SafeBackendConfig(bc)
		if name != bc {
			fmt.Fprintf(opt.Progress, "bench: backend %q runs as %q (the default op scheduling can deadlock: see bench.GoBackendConfig)\n", bc, name)
		}
		b, err := NewBackend(name)
		if err != nil {
			fmt.Fprintf(stdout, "backend %s: cannot start (%v): skipped\n", bc, err)
			errs = append(errs, err)
			continue
		}
		ours, err := RunOursWith(b, opt)
		b.Finalize()
		runtime.GC()
		debug.FreeOSMemory()
		if err != nil {
			return all, err
		}
		all = append(all, Compare(name, ours, peer)...)
		PrintChainVsForward(stdout, name, ours, opt.Sizes.T)
	}
	if peer != nil {
		PrintChainVsForward(stdout, "torch", peer, opt.Sizes.T)
	}
	if len(all) > 0 {
		Table(stdout, all)
	}
	if cfg.Out != "" && len(all) > 0 {
		if err := WriteJSON(cfg.Out, all); err != nil {
			return all, err
		}
		fmt.Fprintf(stdout, "wrote %s\n", cfg.Out)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("bench: no backend ran: %w", errors.Join(errs...))
	}
	return all, nil
}

// Main is the `ddpm bench` command: flags → [Run]. It returns the exit code:
// 0 ok, 1 failure, 2 usage error. Its signature is cmd/ddpm's command type.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	reps := fs.Int("reps", 5, "about this many timed calls per case (go-benchmarks runs each for reps × one call's time)")
	warmup := fs.Int("warmup", 1, "untimed calls per case before timing (after the compiling first call of each training step)")
	threads := fs.Int("threads", 2, "PyTorch threads (torch.set_num_threads, OMP_NUM_THREADS)")
	backends := fs.String("backend", "xla:cpu,go", `comma-separated GoMLX backends ("go" runs as `+GoBackendConfig+`; also "go:parallelism=-1", "xla:cpu", …)`)
	out := fs.String("out", "bench/results.json", `results JSON ("" for none)`)
	cases := fs.String("cases", strings.Join(Cases, ","), "comma-separated cases")
	python := fs.String("python", "/usr/bin/python3", "interpreter with Debian's python3-torch (bench/install-peer.sh)")
	noPeer := fs.Bool("no-peer", false, "skip the PyTorch peer")
	tiny := fs.Bool("tiny", false, "tiny sizes (batch 8/2, 50 points, T=10): a smoke test, not a benchmark")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == flag.ErrHelp:
		fmt.Fprintln(stderr, "usage: ddpm bench [flags]: time ddpm-go's training, forward and sampling against PyTorch (bench/peer.py)")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "ddpm bench: %v (see ddpm bench -h)\n", err)
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "ddpm bench: unexpected argument %q (flags only; see ddpm bench -h)\n", fs.Arg(0))
		return 2
	}
	cfg := Config{Out: *out, NoPeer: *noPeer}
	for _, b := range strings.Split(*backends, ",") {
		if b = strings.TrimSpace(b); b != "" {
			cfg.Backends = append(cfg.Backends, b)
		}
	}
	cfg.Cases = strings.Split(*cases, ",")
	cfg.Reps, cfg.Warmup, cfg.Threads, cfg.Python = *reps, *warmup, *threads, *python
	if *warmup == 0 {
		cfg.Warmup = -1 // Options: 0 means the default
	}
	if *tiny {
		cfg.Sizes = TinySizes
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if *reps < 1 || *warmup < 0 || *threads < 1 {
		fmt.Fprintf(stderr, "ddpm bench: want -reps ≥ 1, -warmup ≥ 0 and -threads ≥ 1\n")
		return 2
	}
	if err := checkOut(cfg.Out); err != nil {
		fmt.Fprintf(stderr, "ddpm bench: -out %s: %v\n", cfg.Out, err)
		return 2
	}
	if _, err := Run(cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "ddpm bench: %v\n", err)
		return 1
	}
	return 0
}
