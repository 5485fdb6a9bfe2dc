package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
)

func TestScheduleJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"schedule", "-kind", "cosine", "-T", "50", "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got scheduleJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{Kind: ddpm.CosineSchedule, T: 50})
	if got.T != 50 || len(got.Betas) != 50 || got.AlphasCumprod[49] != s.AlphasBar[49] || got.PosteriorMeanCoef2[7] != s.PosteriorMeanCoef2[7] {
		t.Errorf("JSON tables differ from the package: %+v", got.T)
	}
}

func TestBadFlagsExit2WithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"schedule", "-T", "0"},
		{"schedule", "-kind", "warp"},
		{"schedule", "-beta-end", "1.5"},
		{"schedule", "-T", "ten"},
		{"schedule", "extra"},
		{"frobnicate"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		first := strings.SplitN(strings.TrimSpace(errb.String()), "\n", 2)[0]
		if code != 2 || first == "" || strings.Contains(strings.TrimSpace(errb.String()), "\n") || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
		t.Logf("%v → %s", args, first)
	}
}
