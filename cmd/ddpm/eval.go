package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/experiment"
)

// runEval is "ddpm eval": flags → experiment.Evaluate → a table or JSON.
func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	var weights, sampler string
	var asJSON bool
	var c experiment.EvalConfig
	fs.StringVar(&weights, "weights", "", "weight file (weights.ddpm of a training run)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of a table")
	fs.IntVar(&c.N, "n", 0, "number of samples (default 2000 for 2-D data, 10000 for MNIST)")
	fs.StringVar(&sampler, "sampler", "ancestral", "sampler: ancestral (Algorithm 2, T steps) or ddim")
	fs.IntVar(&c.Steps, "steps", 0, fmt.Sprintf("DDIM steps S (default %d); ancestral: respace the schedule to S steps (default T)", ddpm.DefaultDDIMSteps))
	fs.Float64Var(&c.Eta, "eta", 0, "DDIM η in [0, 1]")
	fs.Int64Var(&c.Seed, "seed", 1, "random seed of the samples, the fresh data points and the NLL noise")
	fs.IntVar(&c.NLLExamples, "nll-examples", 64, "images: number of test digits (the first ones) for the NLL bound; 0 skips it")
	fs.IntVar(&c.NLLStride, "nll-stride", 1, "images: evaluate one L_{t−1} term in each block of k consecutive t, weighted by k (a stratified estimate; 1 = the full bound)")
	fs.IntVar(&c.SampleBatch, "sample-batch", 1000, "images: samples drawn per compiled call (bounds memory)")
	fs.StringVar(&c.Classifier, "classifier", classifier.DefaultPath(), "MNIST classifier weights for MNIST-FD")
	fs.StringVar(&c.DataDir, "data-dir", "", "folder of the MNIST IDX files (default: the GoMNIST module's copy)")
	fs.Float64Var(&c.Guidance, "guidance", 0, "class-conditional weights (sampled with labels 0…k−1 in turn): classifier-free guidance weight w ≥ 0")
	fs.BoolVar(&c.Unconditional, "unconditional", false, "class-conditional weights: evaluate the unconditional model (the null label)")
	conv := samplerConventionFlags(fs)
	if code, ok := parseFlags(fs,
		"usage: ddpm eval -weights FILE [flags]: sample-based metrics with their floors (and the NLL bound for images)\n"+
			"  2-D data: sliced W1 and MMD of -n samples vs -n fresh data points; floor: the same between two draws of the data\n"+
			"  MNIST:    MNIST-FD (Fréchet distance on features of our MNIST classifier, not Inception FID) of -n samples vs\n"+
			"            the 10,000 test images; floor: -n random training images vs the test images; NLL in bits/dim", args, stderr); !ok {
		return code
	}
	if err := checkSampleFlags(fs, sampler); err != nil {
		return fail(stderr, "eval", err, 2)
	}
	c.Sampler = ddpm.SamplerKind(sampler)
	c.Spacing, c.FinalAlphaBarFirst, c.RawEpsDirection = ddpm.Spacing(*conv.spacing), *conv.finalFirst, *conv.rawEps
	switch {
	case weights == "":
		fmt.Fprintln(stderr, "ddpm eval: -weights is required (a weights.ddpm written by ddpm train)")
		return 2
	case c.Sampler != ddpm.Ancestral && c.Sampler != ddpm.DDIM:
		fmt.Fprintf(stderr, "ddpm eval: -sampler %q: use ancestral or ddim\n", sampler)
		return 2
	case c.N < 0 || c.N == 1:
		fmt.Fprintf(stderr, "ddpm eval: -n %d must be ≥ 2\n", c.N)
		return 2
	case c.Steps < 0 || c.NLLExamples < 0 || c.NLLStride < 1 || c.SampleBatch < 1:
		fmt.Fprintf(stderr, "ddpm eval: want -steps ≥ 0, -nll-examples ≥ 0, -nll-stride ≥ 1, -sample-batch ≥ 1; got %d, %d, %d, %d\n", c.Steps, c.NLLExamples, c.NLLStride, c.SampleBatch)
		return 2
	case !(c.Eta >= 0 && c.Eta <= 1): // NaN too
		fmt.Fprintf(stderr, "ddpm eval: -eta %g must be in [0, 1]\n", c.Eta)
		return 2
	}
	m, err := experiment.LoadWeights(weights)
	if err != nil {
		fmt.Fprintf(stderr, "ddpm eval: %v\n", err)
		return 1
	}
	if err := evalPreflight(m, c); err != nil {
		return fail(stderr, "eval", err, 1)
	}
	backend, err := ddpm.Backend()
	if err != nil {
		fmt.Fprintf(stderr, "ddpm eval: %v\n", err)
		return 1
	}
	c.Log = stderr
	res, err := experiment.Evaluate(backend, m, c)
	if err != nil {
		fmt.Fprintf(stderr, "ddpm eval: %v\n", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "ddpm eval: %v\n", err)
			return 1
		}
		return 0
	}
	printEvalTable(stdout, res)
	return 0
}

func printEvalTable(w io.Writer, r *experiment.EvalReport) {
	p := r.Provenance
	fmt.Fprintf(w, "weights  %s (%s, %s, %d steps on %s)\n", r.Weights, r.Data, r.Model, p.Steps, p.Backend)
	s := r.Sampler
	if r.Steps > 0 {
		s += fmt.Sprintf(" S=%d η=%g", r.Steps, r.Eta)
	}
	fmt.Fprintf(w, "samples  %d, %s, seed %d, on %s\n\n", r.N, s, r.Seed, r.Backend)
	if len(r.Reports) > 0 {
		fmt.Fprintf(w, "%-12s %12s %12s %8s\n", "metric", "value", "floor", "ratio")
		for _, m := range r.Reports {
			fmt.Fprintf(w, "%-12s %12.5g %12.5g %8.3g\n", m.Name, m.Value, m.Floor, m.Ratio)
		}
	}
	if r.NLL != nil {
		kind := "full bound, all T terms"
		if r.NLL.Estimate {
			kind = fmt.Sprintf("estimate: one term in %d, stratified", r.NLL.Stride)
		}
		fmt.Fprintf(w, "%-12s %12.5g ± %.3g bits/dim (%d test images; %s)\n", "NLL", r.NLL.BitsPerDim, r.NLL.StdErr, r.NLL.Examples, kind)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
	}
	reported := map[string]bool{}
	for _, m := range r.Reports {
		reported[m.Name] = true
		if n, ok := r.Notes[m.Name]; ok {
			fmt.Fprintf(w, "%s: %s\n", m.Name, n)
		}
	}
	if n, ok := r.Notes["MNIST-FD"]; ok && !reported["MNIST-FD"] {
		fmt.Fprintf(w, "MNIST-FD: %s\n", n)
	}
}
