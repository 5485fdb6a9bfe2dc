package eval

import (
	"fmt"
	"io"
	"math"

	"github.com/ddpm-go/ddpm-go/metrics"
	"github.com/ddpm-go/ddpm-go/trained"
)

// Report is the outcome of [Evaluate] ("ddpm eval -json" prints it).
type Report struct {
	Weights    string             `json:"weights"`
	Data       string             `json:"data"`
	Model      string             `json:"model"`
	Provenance trained.Provenance `json:"provenance"` // of the weights
	N          int                `json:"n"`
	Sampler    string             `json:"sampler"`
	Steps      int                `json:"steps,omitempty"` // S of a sampler that skips steps
	Eta        float64            `json:"eta,omitempty"`
	Seed       int64              `json:"seed"`
	Backend    string             `json:"backend"`
	Metrics    []MetricJSON       `json:"metrics"`
	NLL        *NLLJSON           `json:"nll,omitempty"`
	Notes      map[string]string  `json:"notes,omitempty"`
	Extra      map[string]any     `json:"extra,omitempty"`
	Timings    map[string]float64 `json:"timings_seconds"`

	// Evaluations is the number of network evaluations of one chain
	// (ddpm.SampleConfig.Evaluations), the cost samplers are compared at.
	Evaluations int `json:"evaluations"`

	// Reports are the metrics with their floors (NaN and ±Inf kept; Metrics
	// has them as null, which JSON can hold).
	Reports []metrics.Report `json:"-"`
}

// MetricJSON is a metrics.Report with non-finite numbers as null (JSON has no NaN).
type MetricJSON struct {
	Name  string   `json:"name"`
	Value *float64 `json:"value"`
	Floor *float64 `json:"floor"`
	Ratio *float64 `json:"ratio"`
}

// NLLJSON is the NLL bound of a [Report].
type NLLJSON struct {
	BitsPerDim float64 `json:"bits_per_dim"`
	StdErr     float64 `json:"std_err"`
	Examples   int     `json:"examples"`
	Stride     int     `json:"stride"`
	Estimate   bool    `json:"estimate"` // true when stride > 1 (stratified estimate of the sum over t)
	Prior      float64 `json:"prior_bpd"`
	Decoder    float64 `json:"decoder_bpd"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// WriteText writes the report as the table "ddpm eval" prints, and returns
// the first write error.
func (r *Report) WriteText(out io.Writer) error {
	w := &errWriter{w: out}
	p := r.Provenance
	fmt.Fprintf(w, "weights  %s (%s, %s, %d steps on %s)\n", r.Weights, r.Data, r.Model, p.Steps, p.Backend)
	s := r.Sampler
	if r.Steps > 0 {
		s += fmt.Sprintf(" S=%d", r.Steps)
		if r.Sampler == "ddim" {
			s += fmt.Sprintf(" η=%g", r.Eta)
		}
	}
	if r.Evaluations > 0 {
		s += fmt.Sprintf(" (%d network evaluations)", r.Evaluations)
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
	return w.err
}

// errWriter keeps the first write error of text written piece by piece.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
