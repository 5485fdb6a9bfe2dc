package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/eval"
	"github.com/ddpm-go/ddpm-go/trained"
)

// runEval is "ddpm eval": flags → eval.Prepare, eval.Prepared.Run → a table or JSON.
func runEval(args []string, stdout, stderr io.Writer) int {
	f := newFlags("eval")
	weights := f.String("weights", "", "weight file (weights.ddpm of a training run)")
	asJSON := f.Bool("json", false, "print one JSON object instead of a table")
	c := eval.Config{Seed: 1, NLLExamples: 64} // the command's own: 64 test images for the bound
	f.Bind(&c)
	sampler := samplerFlags(f, &c.Sample)
	classifiers, metricsHelp := classifierHelp()
	f.SetDefault("classifier", classifiers)
	f.Lookup("data-dir").Usage += "; " + data.DirHelp()
	f.SetDefault("n", fmt.Sprintf("%d for 2-D data, %d for images", eval.DefaultNPoints, eval.DefaultNImages))
	f.SetDefault("sample-batch", fmt.Sprint(eval.DefaultSampleBatch))
	if code, ok := f.parse(
		"usage: ddpm eval -weights FILE [flags]: sample-based metrics with their floors (and the NLL bound for images)\n"+
			"  2-D data: sliced W1 and MMD of -n samples vs -n fresh data points; floor: the same between two draws of the data\n"+
			"  images:   NLL in bits/dim; with a classifier ("+metricsHelp+"): the Fréchet distance on its features (not Inception FID)\n"+
			"            of -n samples vs the test images; floor: -n random training images vs the test images", args, stderr); !ok {
		return code
	}
	if *weights == "" {
		return fail(stderr, "eval", badFlag("-weights is required (a weights.ddpm written by ddpm train)"), 2)
	}
	m, err := trained.Load(*weights)
	if err != nil {
		return fail(stderr, "eval", err, 1)
	}
	if !m.Config.IsImage() && !f.Given("nll-examples") {
		c.NLLExamples = 0 // the flag's default is for images
	}
	if c.Sample, err = sampler(m); err != nil {
		return fail(stderr, "eval", err, 2)
	}
	g := m.CompleteGuidance(trained.GuidanceOptions{W: c.Guidance, Interval: c.GuidanceInterval, Unconditional: c.Unconditional},
		f.Given("guidance"), f.Given("guidance-interval")) // the weight file's own defaults
	c.Guidance, c.GuidanceInterval = g.W, g.Interval
	c.Log = &prefixed{w: stderr, prefix: "ddpm eval: "}
	prepared, err := eval.Prepare(m, c) // reads the data and the classifier once, before sampling
	if err != nil {
		return fail(stderr, "eval", f.explain(err), 1)
	}
	backend, err := backendpkg.New()
	if err != nil {
		return fail(stderr, "eval", err, 1)
	}
	res, err := prepared.Run(backend)
	if err != nil {
		return fail(stderr, "eval", err, 1)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = res.WriteText(stdout)
	}
	if err != nil {
		return fail(stderr, "eval", fmt.Errorf("writing the report: %w", err), 1)
	}
	return 0
}

// classifierHelp lists, for eval's help, the classifier each image data set
// with one declares (data.Dataset.Eval) — "mnist: classifier/mnist_classifier.ddpm"
// — and the metrics they give ("mnist: MNIST-FD").
func classifierHelp() (paths, names string) {
	var p, n []string
	for _, name := range data.ImageNames() {
		if d, _ := data.Lookup(name); d.Eval != nil {
			p = append(p, name+": "+classifier.PathOf(d.Eval.Classifier))
			n = append(n, name+": "+d.Eval.Metric)
		}
	}
	return strings.Join(p, "; "), strings.Join(n, "; ")
}
