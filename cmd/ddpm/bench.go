package main

import (
	"io"
	"strings"

	"github.com/ddpm-go/ddpm-go/bench"
)

// runBench is "ddpm bench": flags → bench.Run (which checks them first).
func runBench(args []string, stdout, stderr io.Writer) int {
	f := newFlags("bench")
	cfg := bench.Config{Out: "bench/results.json", Options: bench.Options{Rounds: bench.DefaultRounds, Reps: 1, Warmup: 1, Threads: 2, Python: "/usr/bin/python3"}}
	f.Bind(&cfg.Rounds, "rounds", "Config.Rounds", "alternating rounds per case (ours, then the peer, on the same work); the ratio is the median of the per-round ratios", true)
	f.Bind(&cfg.Reps, "reps", "Config.Reps", "at least this many timed calls per side and round (each side also times at least 0.5 s of calls)", true)
	f.Bind(&cfg.Warmup, "warmup", "Config.Warmup", "untimed calls per case before timing (after the compiling first call of each training step)", false)
	f.Bind(&cfg.Threads, "threads", "Config.Threads", "PyTorch threads (torch.set_num_threads, OMP_NUM_THREADS)", true)
	backends := f.String("backend", "xla:cpu,go", `comma-separated GoMLX backends ("go" runs as `+bench.GoBackendConfig+`; also "go:parallelism=-1", "xla:cpu", …)`)
	f.Bind(&cfg.Out, "out", "Config.Out", "results JSON", false)
	noOut := f.Bool("no-out", false, "write no results JSON (a trial run)")
	cases := f.String("cases", strings.Join(bench.Cases, ","), "comma-separated cases")
	f.Field("cases", "Config.Cases")
	f.Bind(&cfg.Python, "python", "", "interpreter with Debian's python3-torch (bench/install-peer.sh)", false)
	f.Bind(&cfg.NoPeer, "no-peer", "", "skip the PyTorch peer", false)
	tiny := f.Bool("tiny", false, "tiny sizes (batch 8/2, 50 points, T=10): a smoke test, not a benchmark")
	quiet := f.Bool("q", false, "no progress lines on stderr")
	if code, ok := f.parse("usage: ddpm bench [flags]: time ddpm-go's training, forward and sampling against PyTorch (bench/peer.py)", args, stderr); !ok {
		return code
	}
	cfg.Backends, cfg.Cases = strings.FieldsFunc(*backends, func(r rune) bool { return r == ',' || r == ' ' }), strings.Split(*cases, ",")
	if cfg.Warmup == 0 {
		cfg.Warmup = -1 // -warmup 0: none (bench.Options' 0 is the default)
	}
	if *noOut {
		if f.Given("out") {
			return fail(stderr, "bench", badFlag("-no-out writes no results: leave out -out %s, or -no-out", cfg.Out), 2)
		}
		cfg.Out = ""
	}
	if *tiny {
		cfg.Sizes = bench.TinySizes
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "bench", f.explain(err), 2)
	}
	if _, err := bench.Run(cfg, stdout); err != nil {
		return fail(stderr, "bench", err, 1)
	}
	return 0
}
