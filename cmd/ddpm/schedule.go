package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/tagflag"
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
	f := newFlags("schedule")
	var c ddpm.ScheduleConfig
	f.Bind(&c, tagflag.Rename{Tag: "schedule", Flag: "kind"}) // the command's subject: -kind, not -schedule
	f.Defaults(ddpm.ScheduleConfig{}.WithDefaults())
	asJSON := f.Bool("json", false, "print one JSON object (betas, alphas_cumprod, posterior_variance, posterior_mean_coef1 (× x0), posterior_mean_coef2 (× x_t))")
	if code, ok := f.parse("usage: ddpm schedule [-kind K] [-T N] [-json]: the float64 tables of a noise schedule; index i ↔ paper step t = i+1", args, stderr); !ok {
		return code
	}
	s, err := ddpm.NewSchedule(c)
	if err != nil {
		return fail(stderr, "schedule", f.explain(err), 2)
	}
	var w bytes.Buffer
	if *asJSON {
		err = json.NewEncoder(&w).Encode(scheduleJSON{string(s.Kind), s.T, "index i <-> paper step t = i+1",
			s.Betas, s.AlphasBar, s.PosteriorVariance, s.PosteriorMeanCoef1, s.PosteriorMeanCoef2})
	} else {
		fmt.Fprintf(&w, "# %s schedule, T=%d; t is the paper step (array index t−1)\n", s.Kind, s.T)
		fmt.Fprintf(&w, "%6s %14s %14s %14s %14s %14s\n", "t", "beta", "alpha_bar", "snr", "post_var", "post_logvar")
		for i := range s.T {
			fmt.Fprintf(&w, "%6d %14.8g %14.8g %14.8g %14.8g %14.8g\n", i+1, s.Betas[i], s.AlphasBar[i], s.SNR[i], s.PosteriorVariance[i], s.PosteriorLogVarClipped[i])
		}
	}
	if err == nil {
		_, err = stdout.Write(w.Bytes())
	}
	if err != nil {
		return fail(stderr, "schedule", fmt.Errorf("writing the table: %w", err), 1)
	}
	return 0
}
