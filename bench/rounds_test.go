package bench

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeSide is a Side whose calls take the times it is given, round by
// round, and which logs every call in a log shared by both sides.
type fakeSide struct {
	name  string
	times [][]float64 // per round
	round int
	log   *[]string
}

func (f *fakeSide) Prepare(c string) error {
	*f.log = append(*f.log, "prepare "+f.name)
	return nil
}

func (f *fakeSide) Time(c string, reps int) ([]float64, error) {
	*f.log = append(*f.log, f.name)
	if f.round >= len(f.times) {
		return nil, fmt.Errorf("%s: no round %d", f.name, f.round+1)
	}
	t := f.times[f.round]
	f.round++
	if len(t) != reps {
		return nil, fmt.Errorf("%s: %d times for %d reps", f.name, len(t), reps)
	}
	return t, nil
}

// Alternate prepares both sides, then alternates ours and the peer in every
// round (ABAB…), and reports the median of the per-round ratios of medians
// with their min and max; the pooled medians are those of all calls.
func TestAlternateRoundsWithFakeTimers(t *testing.T) {
	var log []string
	// Five rounds of 3 calls; the machine slows down in rounds 3 and 4, for both sides.
	ours := &fakeSide{name: "A", log: &log, times: [][]float64{{10, 11, 12}, {9, 10, 30}, {20, 22, 21}, {40, 44, 42}, {10, 10, 10}}}
	peer := &fakeSide{name: "B", log: &log, times: [][]float64{{5, 5, 5}, {10, 10, 10}, {20, 20, 20}, {21, 21, 21}, {8, 8, 8}}}
	var progress bytes.Buffer
	r, err := Alternate(MLPTrain, ours, peer, 5, 3, &progress)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"prepare A", "prepare B", "A", "B", "A", "B", "A", "B", "A", "B", "A", "B"}
	if !reflect.DeepEqual(log, want) {
		t.Errorf("call order %v, want %v", log, want)
	}
	// Per-round ratios of medians: 11/5, 10/10, 21/20, 42/21, 10/8.
	wantRatios := []float64{2.2, 1, 1.05, 2, 1.25}
	for i, w := range wantRatios {
		if i >= len(r.Ratios) || math.Abs(r.Ratios[i]-w) > 1e-12 {
			t.Fatalf("ratios %v, want %v", r.Ratios, wantRatios)
		}
	}
	res := r.Result("fake")
	// Median of {1, 1.05, 1.25, 2, 2.2} = 1.25; pooled medians of the 15 calls: 12 (ours), 10 (peer).
	if res.Name != MLPTrain || res.Backend != "fake" || res.Rounds != 5 || math.Abs(res.Ratio-1.25) > 1e-12 ||
		res.RatioMin != 1 || math.Abs(res.RatioMax-2.2) > 1e-12 || res.OursMs != 12 || res.PeerMs != 10 {
		t.Errorf("result %+v", res)
	}
	if n := strings.Count(progress.String(), "\n"); n != 5 || !strings.Contains(progress.String(), "round 5/5") {
		t.Errorf("progress:\n%s", progress.String())
	}

	// Without a peer: ours only, every round, ratios 0.
	log = nil
	ours = &fakeSide{name: "A", log: &log, times: [][]float64{{3}, {1}, {2}}}
	r, err = Alternate(UNetTrain, ours, nil, 3, 1, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if res := r.Result("fake"); !reflect.DeepEqual(log, []string{"prepare A", "A", "A", "A"}) || res.Rounds != 3 || res.OursMs != 2 || res.PeerMs != 0 || res.Ratio != 0 || res.RatioMin != 0 {
		t.Errorf("no peer: log %v, result %+v", log, res)
	}

	// A side that fails stops the rounds with its error.
	log = nil
	ours = &fakeSide{name: "A", log: &log, times: [][]float64{{1}}}
	peer = &fakeSide{name: "B", log: &log, times: [][]float64{{1}}}
	if _, err := Alternate(MLPTrain, ours, peer, 2, 1, &progress); err == nil || !strings.Contains(err.Error(), "no round 2") {
		t.Errorf("failing side: err = %v", err)
	}
	if _, err := Alternate(MLPTrain, ours, peer, 0, 1, &progress); err == nil {
		t.Error("0 rounds accepted")
	}
}

// fakePeerPy speaks peer.py's --serve protocol without torch: every call
// "takes" 2 ms (reps calls, or more to fill min_ms), an unknown case is
// answered with an error.
const fakePeerPy = `import json, math, sys
print(json.dumps({"torch": "fake", "python": "3", "threads": 1, "params": {"mlp": 141058, "unet": 776929, "s2dunet": 494820, "uvit": 1518224},
                  "sizes": {"T": 10}, "blas": {"sgemm_2048_gflops": 1.5}, "loadavg_start": [0, 0, 0]}), flush=True)
for line in sys.stdin:
    o = json.loads(line)
    if o["case"] == "nope":
        print(json.dumps({"error": "unknown case 'nope'"}), flush=True)
    elif o["op"] == "prepare":
        print(json.dumps({"ok": True}), flush=True)
    else:
        print(json.dumps({"ms": [2.0] * max(o["reps"], math.ceil(o.get("min_ms", 0) / 2))}), flush=True)
`

// The Go side of the peer protocol, against a fake peer.
func TestPeerProtocol(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	defer func(s []byte) { peerScript = s }(peerScript)
	peerScript = []byte(fakePeerPy)
	opt := tinyOptions(t)
	opt.Python = py
	p, err := StartPeer(opt)
	if err != nil {
		t.Fatal(err)
	}
	if p.Report.Torch != "fake" || p.Report.Params["unet"] != UNetParams {
		t.Errorf("header %+v", p.Report)
	}
	if err := p.Prepare(MLPTrain); err != nil {
		t.Fatal(err)
	}
	if ms, err := p.Time(MLPTrain, 3); err != nil || !reflect.DeepEqual(ms, []float64{2, 2, 2}) {
		t.Errorf("Time = %v, %v", ms, err)
	}
	// A round of at least MinRound = 9 ms of calls: five 2-ms calls.
	p.opt.MinRound = 9 * time.Millisecond
	if ms, err := p.Time(MLPTrain, 3); err != nil || !reflect.DeepEqual(ms, []float64{2, 2, 2, 2, 2}) {
		t.Errorf("Time with MinRound 9 ms = %v, %v", ms, err)
	}
	p.opt.MinRound = 0
	if err := p.Prepare("nope"); err == nil || !strings.Contains(err.Error(), "unknown case") {
		t.Errorf("unknown case: err = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}

	// The whole run with the fake peer: rows with rounds and ratio ranges.
	cfg := Config{Backends: []string{"go"}, Options: opt, Out: filepath.Join(t.TempDir(), "results.json")}
	cfg.Cases, cfg.Rounds = []string{MLPForward}, 2
	var out bytes.Buffer
	rs, err := Run(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Rounds != 2 || rs[0].PeerMs != 2 || !(rs[0].Ratio > 0) || rs[0].RatioMin > rs[0].Ratio || rs[0].RatioMax < rs[0].Ratio {
		t.Errorf("results %+v", rs)
	}
	if s := out.String(); !strings.Contains(s, "2 alternating rounds") || !strings.Contains(s, "rounds") || !strings.Contains(s, "torch fake") {
		t.Errorf("output:\n%s", s)
	}
	t.Logf("\n%s", out.String())
}
