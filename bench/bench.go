// Package bench times ddpm-go against a PyTorch peer (bench/peer.py) on the
// same networks and the same work:
//
//	mlp_train     one training step (ddpm.Trainer.Step: Algorithm 1, Adam, L_simple,
//	              random t and ε) of nets.MLPConfig{} (141,058 parameters) on x0 [1024, 2]
//	unet_train    the same for nets.UNetConfig{} (776,929 parameters) on x0 [128, 28, 28, 1]
//	unet_forward  one U-Net forward ε_θ(x_t, t) on [128, 28, 28, 1] (a model.Exec on the trained store)
//	mlp_chain     a 1000-step ancestral chain (ddpm.NewSampler, Kind Ancestral) on [2000, 2]
//	mlp_forward   one MLP forward on [2000, 2] (for "chain vs 1000 × forward")
//	s2dunet_train   a training step of nets.S2DUNetConfig{} (p = 2, base 32, mults 1,2:
//	                the U-Net on 14×14×4; 494,820 parameters) on x0 [32, 28, 28, 1]
//	s2dunet_forward its forward on [32, 28, 28, 1]
//	uvit_train      a training step of nets.UViTConfig{} (p = 4, width 128, 7 blocks;
//	                1,518,224 parameters) on x0 [32, 28, 28, 1]
//	uvit_forward    its forward on [32, 28, 28, 1]
//
// (The last four are issue 21's CPU-shaped networks at notebook 05's CPU
// batch of 32.)
//
// The method (rounds.go): each case is prepared on both sides (built, then
// Warmup untimed calls, the first of which compiles), then timed in Rounds
// alternating rounds, ours then the peer's (ABAB…), each round timing calls
// of the same work on each side for at least MinRound (0.5 s) of calls and
// at least Reps calls: a millisecond-scale case gets hundreds of calls per
// round, so that its median does not swing with one call's luck, and a
// slow one (a U-Net step) its Reps. A round's ratio is our median over
// the peer's; a case reports the median of its per-round ratios with their
// min and max, so that a drift of the machine's speed during the run shows
// as a range instead of biasing one side. The peer is one long-lived
// process that takes orders on its stdin (peer.go).
//
// Our calls are timed by github.com/janpfeifer/go-benchmarks, which prints
// its table (mean, median, percentiles) for each round (ours.go). That
// library (v0.1.1) returns no numbers and estimates its quantiles, so
// [Stats] holds the exact median and 10th/90th percentiles of the same calls,
// computed the same way here and in peer.py (linear interpolation between
// order statistics, stats.go). Every timed Go call ends with its results on
// the host, as torch's do. The report and results.json are report.go; Run,
// the whole benchmark, is run.go.
//
// Results of a shared, loaded machine are not to be trusted: OpenMP threads
// spin while they wait, so torch with 2 threads on a machine whose other core
// is busy can be 10–20× slower than on an idle one. The load average is
// reported with each run.
package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The benchmark cases, by name (shared with peer.py).
const (
	MLPTrain    = "mlp_train"
	UNetTrain   = "unet_train"
	UNetForward = "unet_forward"
	MLPChain    = "mlp_chain"
	MLPForward  = "mlp_forward"
	// Issue 21's networks for the CPU, at Sizes.CPUBatch.
	S2DUNetTrain   = "s2dunet_train"
	S2DUNetForward = "s2dunet_forward"
	UViTTrain      = "uvit_train"
	UViTForward    = "uvit_forward"
)

// Cases lists every case in the order they run and are reported.
var Cases = []string{MLPTrain, UNetTrain, UNetForward, MLPChain, MLPForward, S2DUNetTrain, S2DUNetForward, UViTTrain, UViTForward}

// Parameter counts both implementations must have: those of nets.MLPConfig{},
// nets.UNetConfig{}, nets.S2DUNetConfig{} and nets.UViTConfig{} for MNIST
// (nets' tests pin the same numbers), which peer.py checks on its side.
const (
	MLPParams     = 141058
	UNetParams    = 776929
	S2DUNetParams = 494820
	UViTParams    = 1518224
)

// Sizes are the problem sizes. The networks never change with them.
type Sizes struct {
	MLPBatch    int // mlp_train batch; 1024.
	UNetBatch   int // unet_train and unet_forward batch; 128.
	ChainPoints int // mlp_chain and mlp_forward points; 2000.
	T           int // diffusion steps (chain length, range of t); 1000.
	CPUBatch    int // s2dunet_* and uvit_* batch; 32.
}

var (
	// DefaultSizes: batch 1024 for the MLP (the default of 2-D training
	// runs), 128 for the U-Net (Ho et al.'s batch), a 1000-step chain (Ho et
	// al.'s T) on 2,000 points (the evaluation's sample size), 32 for the
	// CPU-shaped networks (notebook 05's batch on 2 cores).
	DefaultSizes = Sizes{MLPBatch: 1024, UNetBatch: 128, ChainPoints: 2000, T: 1000, CPUBatch: 32}
	// TinySizes make a smoke test that runs in seconds (same networks).
	TinySizes = Sizes{MLPBatch: 8, UNetBatch: 2, ChainPoints: 50, T: 10, CPUBatch: 2}
)

// DefaultRounds is the number of alternating rounds per case unless told
// otherwise: enough for a median and a range of the per-round ratios.
const DefaultRounds = 5

// DefaultMinRound is the least time of calls each side spends on a case in
// one round (Options.MinRound). One call per round made the millisecond
// rows swing (measured with `make bench` at one call per round on a 2-core
// Zen 5 EPYC, 2026-12-02: the MLP step's rounds ranged over 0.56–2.01×);
// half a second of calls is hundreds of them there, and changes nothing for
// cases slower than that.
const DefaultMinRound = 500 * time.Millisecond

// Options configures [RunOursWith], [RunPeerWith] and [Run]. Zero values take the defaults given.
// A field tagged flag is ddpm bench's flag of that name.
type Options struct {
	// Cases: a subset of Cases; default all.
	Cases []string `flag:"cases" usage:"comma-separated cases"`
	// Rounds: alternating rounds per case; default DefaultRounds.
	Rounds int `flag:"rounds,zerodefault" usage:"alternating rounds per case (ours, then the peer, on the same work); the ratio is the median of the per-round ratios"`
	// Reps: at least this many timed calls per side and round (see
	// [measure]); default 1.
	Reps int `flag:"reps,zerodefault" usage:"at least this many timed calls per side and round"`
	// MinRound: at least this much time of timed calls per side and round;
	// default DefaultMinRound; negative: none.
	MinRound time.Duration
	// Warmup: untimed calls before timing (the first compiles); default 1.
	// Negative: none.
	Warmup   int       `flag:"warmup" usage:"untimed calls per case before timing (after the compiling first call of each training step)"`
	Sizes    Sizes     // default DefaultSizes.
	Progress io.Writer // one line per call (and the peer's stderr); default none.
	// Python, peer only: the interpreter; default /usr/bin/python3
	// (Debian's python3-torch).
	Python string `flag:"python" usage:"interpreter with Debian's python3-torch (bench/install-peer.sh)"`
	// Threads, peer only: torch.set_num_threads; default 2.
	Threads int `flag:"threads,zerodefault" usage:"PyTorch threads (torch.set_num_threads, OMP_NUM_THREADS)"`
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
	if o.Rounds == 0 {
		o.Rounds = DefaultRounds
	}
	if o.Reps == 0 {
		o.Reps = 1
	}
	// A negative Warmup or MinRound (none) stays negative, so that
	// withDefaults can be applied twice (Run's, then NewOurs' and
	// StartPeer's): read them through warmups and minRound.
	if o.Warmup == 0 {
		o.Warmup = 1
	}
	if o.MinRound == 0 {
		o.MinRound = DefaultMinRound
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
	if o.Rounds < 1 || o.Reps < 1 || o.Threads < 1 || s.MLPBatch < 1 || s.UNetBatch < 1 || s.ChainPoints < 1 || s.T < 1 || s.CPUBatch < 1 {
		return o, fmt.Errorf("bench: want Rounds, Reps, Threads and all Sizes ≥ 1, got Rounds=%d Reps=%d Threads=%d Sizes=%+v", o.Rounds, o.Reps, o.Threads, s)
	}
	return o, nil
}

// warmups is the number of untimed calls (Warmup, none if negative).
func (o Options) warmups() int { return max(o.Warmup, 0) }

// minRound is the least call time per side and round (MinRound, none if negative).
func (o Options) minRound() time.Duration { return max(o.MinRound, 0) }
