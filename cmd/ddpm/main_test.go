package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"syscall"
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

// fullWriter fails every write, as /dev/full does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// A table that cannot be written is an error (issue 18: `schedule > /dev/full`
// exited 0), in one line on stderr, exit 1.
func TestTableWriteErrorsExit1(t *testing.T) {
	for _, args := range [][]string{{"schedule", "-T", "10"}, {"schedule", "-T", "10", "-json"}} {
		var errb bytes.Buffer
		if code := run(args, fullWriter{}, &errb); code != 1 || !strings.Contains(errb.String(), "no space left") {
			t.Errorf("%v to a full device: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
