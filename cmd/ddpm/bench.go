package main

import (
	"io"
	"slices"
	"strings"

	"github.com/ddpm-go/ddpm-go/bench"
)

// runBench is "ddpm bench": flags → bench.Run.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench")
	rounds := fs.Int("rounds", bench.DefaultRounds, "alternating rounds per case (ours, then the peer, on the same work); the ratio is the median of the per-round ratios")
	reps := fs.Int("reps", 1, "at least this many timed calls per side and round (each side also times at least 0.5 s of calls)")
	warmup := fs.Int("warmup", 1, "untimed calls per case before timing (after the compiling first call of each training step)")
	threads := fs.Int("threads", 2, "PyTorch threads (torch.set_num_threads, OMP_NUM_THREADS)")
	backends := fs.String("backend", "xla:cpu,go", `comma-separated GoMLX backends ("go" runs as `+bench.GoBackendConfig+`; also "go:parallelism=-1", "xla:cpu", …)`)
	out := fs.String("out", "bench/results.json", `results JSON ("" for none)`)
	cases := fs.String("cases", strings.Join(bench.Cases, ","), "comma-separated cases")
	python := fs.String("python", "/usr/bin/python3", "interpreter with Debian's python3-torch (bench/install-peer.sh)")
	noPeer := fs.Bool("no-peer", false, "skip the PyTorch peer")
	tiny := fs.Bool("tiny", false, "tiny sizes (batch 8/2, 50 points, T=10): a smoke test, not a benchmark")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	if code, ok := fs.parse("usage: ddpm bench [flags]: time ddpm-go's training, forward and sampling against PyTorch (bench/peer.py)", args, stderr); !ok {
		return code
	}
	if *reps < 1 || *warmup < 0 || *threads < 1 || *rounds < 1 {
		return fail(stderr, "bench", badFlag("want -reps ≥ 1, -rounds ≥ 1, -warmup ≥ 0 and -threads ≥ 1"), 2)
	}
	if *rounds < bench.DefaultRounds && !*tiny && !*noPeer {
		return fail(stderr, "bench", badFlag("-rounds %d: a comparison with the peer takes at least %d rounds (or use -tiny)", *rounds, bench.DefaultRounds), 2)
	}
	if err := bench.CheckOut(*out); err != nil {
		return fail(stderr, "bench", badFlag("-out %s: %v", *out, err), 2)
	}
	cfg := bench.Config{Out: *out, NoPeer: *noPeer}
	for _, b := range strings.Split(*backends, ",") {
		if b = strings.TrimSpace(b); b != "" {
			cfg.Backends = append(cfg.Backends, b)
		}
	}
	cfg.Cases = strings.Split(*cases, ",")
	for _, c := range cfg.Cases {
		if !slices.Contains(bench.Cases, c) {
			return fail(stderr, "bench", badFlag("-cases: unknown case %q: use some of %s", c, strings.Join(bench.Cases, ",")), 2)
		}
	}
	cfg.Rounds, cfg.Reps, cfg.Warmup, cfg.Threads, cfg.Python = *rounds, *reps, *warmup, *threads, *python
	if *warmup == 0 {
		cfg.Warmup = -1 // Options: 0 means the default
	}
	if *tiny {
		cfg.Sizes = bench.TinySizes
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if _, err := bench.Run(cfg, stdout); err != nil {
		return fail(stderr, "bench", err, 1)
	}
	return 0
}
