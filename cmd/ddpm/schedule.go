package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/ddpm-go/ddpm-go/ddpm"
)

// scheduleJSON is the -json output: float64 tables, index i ↔ paper step t = i+1.
type scheduleJSON struct {
	Kind               string    `json:"kind"`
	T                  int       `json:"T"`
	IndexConvention    string    `json:"index_convention"`
	Betas              []float64 `json:"betas"`
	AlphasCumprod      []float64 `json:"alphas_cumprod"`
	PosteriorVariance  []float64 `json:"posterior_variance"`
	PosteriorMeanCoef1 []float64 `json:"posterior_mean_coef1"`
	PosteriorMeanCoef2 []float64 `json:"posterior_mean_coef2"`
}

func runSchedule(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", string(ddpm.DefaultScheduleKind), "schedule: linear, cosine, quadratic or sigmoid")
	T := fs.Int("T", ddpm.DefaultT, "number of diffusion steps (≥ 1)")
	start := fs.Float64("beta-start", ddpm.DefaultBetaStart, "β_1 of linear/quadratic/sigmoid (in (0,1))")
	end := fs.Float64("beta-end", ddpm.DefaultBetaEnd, "β_T of linear/quadratic/sigmoid (in (0,1))")
	rescale := fs.Bool("rescale", false, "multiply β_1, β_T by 1000/T")
	asJSON := fs.Bool("json", false, "print one JSON object (betas, alphas_cumprod, posterior_variance, posterior_mean_coef1 (× x0), posterior_mean_coef2 (× x_t))")
	if code, ok := parseFlags(fs, "usage: ddpm schedule [-kind K] [-T N] [-json]: the float64 tables of a noise schedule; index i ↔ paper step t = i+1", args, stderr); !ok {
		return code
	}
	if *T < 1 {
		fmt.Fprintf(stderr, "ddpm schedule: -T %d is invalid: T must be ≥ 1\n", *T)
		return 2
	}
	for name, b := range map[string]float64{"-beta-start": *start, "-beta-end": *end} {
		if !(b > 0 && b < 1) {
			fmt.Fprintf(stderr, "ddpm schedule: %s %g is out of range: it must lie in (0, 1)\n", name, b)
			return 2
		}
	}
	s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{Kind: ddpm.ScheduleKind(*kind), T: *T, BetaStart: *start, BetaEnd: *end, Rescale: *rescale})
	if err != nil {
		fmt.Fprintf(stderr, "ddpm schedule: %v\n", err)
		return 2
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(scheduleJSON{string(s.Kind), s.T, "index i <-> paper step t = i+1",
			s.Betas, s.AlphasBar, s.PosteriorVariance, s.PosteriorMeanCoef1, s.PosteriorMeanCoef2}); err != nil {
			fmt.Fprintf(stderr, "ddpm schedule: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "# %s schedule, T=%d; t is the paper step (array index t−1)\n", s.Kind, s.T)
	fmt.Fprintf(stdout, "%6s %14s %14s %14s %14s %14s\n", "t", "beta", "alpha_bar", "snr", "post_var", "post_logvar")
	for i := range s.T {
		fmt.Fprintf(stdout, "%6d %14.8g %14.8g %14.8g %14.8g %14.8g\n", i+1, s.Betas[i], s.AlphasBar[i], s.SNR[i], s.PosteriorVariance[i], s.PosteriorLogVarClipped[i])
	}
	return 0
}
