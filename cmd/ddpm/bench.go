package main

import (
	"fmt"
	"io"

	"github.com/ddpm-go/ddpm-go/bench"
)

// runBench is "ddpm bench": flags → bench.Run (which checks them first).
func runBench(args []string, stdout, stderr io.Writer) int {
	f := newFlags("bench")
	cfg := bench.Config{Out: "bench/results.json"}
	f.Bind(&cfg)
	f.Lookup("backend").Usage += fmt.Sprintf(` ("go" runs as %s; also "go:parallelism=-1", "xla:cpu", …)`, bench.GoBackendConfig)
	f.Lookup("reps").Usage += fmt.Sprintf(" (each side also times at least %v of calls)", bench.DefaultMinRound)
	if def, err := (bench.Config{}).WithDefaults(); err == nil {
		f.Defaults(def)
	}
	noOut := f.Bool("no-out", false, "write no results JSON (a trial run)")
	ts := bench.TinySizes
	tiny := f.Bool("tiny", false, fmt.Sprintf("tiny sizes (batch %d/%d, %d points, T=%d): a smoke test, not a benchmark", ts.MLPBatch, ts.UNetBatch, ts.ChainPoints, ts.T))
	quiet := f.Bool("q", false, "no progress lines on stderr")
	if code, ok := f.parse("usage: ddpm bench [flags]: time ddpm-go's training, forward and sampling against PyTorch (bench/peer.py)", args, stderr); !ok {
		return code
	}
	if f.Given("warmup") && cfg.Warmup == 0 {
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
		return fail(stderr, "bench", f.explain(err), 1)
	}
	return 0
}
