package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/internal/field"
)

// Config is what `ddpm bench` needs: [Run] starts the peer, times each
// backend against it in alternating rounds, prints the table and the chain
// check, and writes Out.
type Config struct {
	// Backends are $GOMLX_BACKEND-style configurations, each reported under its
	// configuration string: "go" (run as [GoBackendConfig]), "go:parallelism=-1",
	// "xla:cpu", …; default {"xla:cpu", "go"}. They run in this order, in
	// one process: XLA first, because the pure-Go backend leaves a large Go
	// heap whose garbage collection then slows the XLA timings (docs/speed.md
	// has the numbers).
	Backends []string `flag:"backend" usage:"comma-separated GoMLX backends"`
	Options           // cases, rounds, reps, warm-up, sizes, python, threads, progress.
	// Out is the results JSON path; "" writes none.
	Out string `flag:"out" usage:"results JSON"`
	// NoPeer skips the peer (ours only; ratios are then "-").
	NoPeer bool `flag:"no-peer" usage:"skip the PyTorch peer"`
}

// WithDefaults returns cfg with its zero fields set to their defaults (as
// [Run] completes it); the error names an unknown case.
func (cfg Config) WithDefaults() (Config, error) {
	if len(cfg.Backends) == 0 {
		cfg.Backends = []string{"xla:cpu", "go"}
	}
	var err error
	cfg.Options, err = cfg.Options.withDefaults()
	return cfg, err
}

// Validate checks cfg before any work; the error is a *field.Error naming
// the field: counts out of range, an unknown case, fewer than DefaultRounds
// rounds for a comparison with the peer (a median of fewer is noise), an
// output that may not be written (atomicfile's rule).
func (cfg Config) Validate() error {
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("bench", "Config", name, v, want, args...)
	}
	switch {
	case cfg.Rounds < 0:
		return bad("Rounds", cfg.Rounds, "must be ≥ 1 (0: %d)", DefaultRounds)
	case cfg.Rounds != 0 && cfg.Rounds < DefaultRounds && !cfg.NoPeer && cfg.Sizes != TinySizes:
		return bad("Rounds", cfg.Rounds, "is too few for a comparison with the peer: at least %d (or tiny sizes, or no peer)", DefaultRounds)
	case cfg.Warmup < -1:
		return bad("Warmup", cfg.Warmup, "must be ≥ 0 (or -1: none)")
	case cfg.Reps < 0:
		return bad("Reps", cfg.Reps, "must be ≥ 1 (0: 1)")
	case cfg.Threads < 0:
		return bad("Threads", cfg.Threads, "must be ≥ 1 (0: 2)")
	}
	for _, c := range cfg.Cases {
		if !slices.Contains(Cases, c) {
			return bad("Cases", c, "is not a case: use some of %s", strings.Join(Cases, ","))
		}
	}
	if err := CheckOut(cfg.Out); err != nil {
		return bad("Out", cfg.Out, "cannot be written: %v", err)
	}
	return nil
}

// Run runs the whole benchmark. It writes the table and the chain lines to
// stdout, progress to cfg.Progress, and returns the results. A backend that
// cannot start (say, no XLA plugin) is reported on stdout and skipped; Run
// errors if none ran, or if the peer fails.
func Run(cfg Config, stdout io.Writer) ([]Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	opt := cfg.Options
	var peerSide Side // nil without a peer (a nil *Peer would not be a nil Side)
	peerCalls := map[string][]float64{}
	if !cfg.NoPeer {
		p, err := StartPeer(opt)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		peerSide = p
		var blas struct {
			GFLOPS float64 `json:"sgemm_2048_gflops"`
		}
		if err := json.Unmarshal(p.Report.BLAS, &blas); err != nil {
			return nil, fmt.Errorf("bench: the peer's BLAS report %s: %v", p.Report.BLAS, err)
		}
		fmt.Fprintf(stdout, "peer: torch %s, %d threads, sgemm 2048² %.1f GFLOP/s, load at start %v\n", p.Report.Torch, p.Report.Threads, blas.GFLOPS, p.Report.LoadAvg)
	}
	fmt.Fprintf(stdout, "method: per case, %d alternating rounds (ours, then the peer), each side timing at least %d call(s) and %v of calls per round, after %d warm-up call(s); ratio = median of the per-round ratios [min, max]\n",
		opt.Rounds, opt.Reps, opt.minRound(), opt.warmups())
	var all []Result
	var errs []error
	for _, bc := range cfg.Backends {
		name := backend.SafeConfig(bc)
		if name != bc {
			fmt.Fprintf(opt.Progress, "bench: backend %q runs as %q (the default op scheduling can deadlock: see bench.GoBackendConfig)\n", bc, name)
		}
		b, err := backend.NewWithConfig(name)
		if err != nil {
			fmt.Fprintf(stdout, "backend %s: cannot start (%v): skipped\n", bc, err)
			errs = append(errs, err)
			continue
		}
		ours, err := NewOurs(b, opt)
		stats := map[string]Stats{}
		for _, c := range opt.Cases {
			if err != nil {
				break
			}
			var r Rounds
			if r, err = Alternate(c, ours, peerSide, opt.Rounds, opt.Reps, opt.Progress); err == nil {
				all = append(all, r.Result(name))
				stats[c] = r.OursStats()
				for _, p := range r.Peer {
					peerCalls[c] = append(peerCalls[c], p...)
				}
			}
		}
		b.Finalize()
		runtime.GC()
		debug.FreeOSMemory()
		if err != nil {
			return all, err
		}
		PrintChainVsForward(stdout, name, stats, opt.Sizes.T)
	}
	if peerSide != nil && len(peerCalls) > 0 {
		peer := map[string]Stats{}
		for c, ms := range peerCalls {
			peer[c] = StatsOf(ms)
		}
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
