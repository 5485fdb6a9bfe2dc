package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/bench"
)

func TestBenchCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "-bogus"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "bogus") {
		t.Errorf("-bogus: code %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"bench", "-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-reps") {
		t.Errorf("-h: code %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"bench", "-reps", "0"}, &stdout, &stderr); code != 2 {
		t.Errorf("-reps 0: code %d", code)
	}
	stderr.Reset()
	if code := run([]string{"bench", "-rounds", "3"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "-rounds 3 is too few for a comparison with the peer: at least 5") {
		t.Errorf("-rounds 3 with the peer: code %d, stderr %q", code, stderr.String())
	}
	out := filepath.Join(t.TempDir(), "r.json")
	stderr.Reset()
	code := run([]string{"bench", "-tiny", "-no-peer", "-backend", "go", "-reps", "1", "-warmup", "0", "-cases", "mlp_train,mlp_forward", "-out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("tiny run: code %d\n%s", code, stderr.String())
	}
	rs, err := bench.ReadJSON(out)
	if err != nil || len(rs) != 2 || rs[0].Name != bench.MLPTrain || rs[1].Name != bench.MLPForward {
		t.Errorf("results %+v, %v", rs, err)
	}
}
