package bench

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/gomlx/compute"
)

// These tests check plumbing, never speed: tiny sizes, one call per case.

func tinyOptions(t *testing.T) Options {
	var buf bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(buf.String())
		}
	})
	return Options{Rounds: 1, Reps: 1, Warmup: -1, MinRound: -1, Sizes: TinySizes, Progress: &buf}
}

// The parameter counts the peer must match are those of nets' networks.
func TestParamsAreNets(t *testing.T) {
	mnist := nets.Spec{Dims: []int{28, 28, 1}}
	for _, c := range []struct {
		name string
		net  nets.Network
		want int
	}{{"mlp", nets.MLPConfig{}, MLPParams}, {"unet", nets.UNetConfig{}, UNetParams}, {"s2dunet", cpuNets["s2dunet"].net, S2DUNetParams}, {"uvit", cpuNets["uvit"].net, UViTParams}} {
		spec := mnist
		if c.name == "mlp" {
			spec = nets.Spec{Dims: []int{2}}
		}
		n, err := c.net.For(spec)
		if err != nil {
			t.Fatal(err)
		}
		if n.NumParameters() != c.want {
			t.Errorf("%s: nets counts %d parameters, bench wants %d", c.name, n.NumParameters(), c.want)
		}
	}
}

// A round of ours lasts at least MinRound of calls (and at least Reps
// calls): the tiny MLP forward takes well under a millisecond, so 60 ms
// of it is many calls.
func TestOursMinRound(t *testing.T) {
	opt := tinyOptions(t)
	opt.Cases, opt.MinRound, opt.Reps = []string{MLPForward}, 60*time.Millisecond, 3
	ours, err := NewOurs(testBackend(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := ours.Prepare(MLPForward); err != nil {
		t.Fatal(err)
	}
	ms, err := ours.Time(MLPForward, opt.Reps)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, m := range ms {
		total += m
	}
	if len(ms) < opt.Reps || total < 60 {
		t.Errorf("%d calls, %.1f ms in all: want at least %d calls and 60 ms", len(ms), total, opt.Reps)
	}
	t.Logf("%d calls, %.1f ms", len(ms), total)
}

// testBackend is package backend's choice ($GOMLX_BACKEND, else XLA CPU if installed,
// else Go), with the pure-Go backend's deadlock workaround (GoBackendConfig).
func testBackend(t *testing.T) compute.Backend {
	config, _ := backendpkg.Config()
	b, err := backendpkg.NewWithConfig(backendpkg.SafeConfig(config))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	return b
}

func TestRunOursTiny(t *testing.T) {
	backend := testBackend(t)
	stats, err := RunOursWith(backend, tinyOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Cases {
		s, ok := stats[c]
		if !ok {
			t.Errorf("%s: missing", c)
			continue
		}
		if s.N < 1 || !(s.MedianMs > 0) || !(s.P10Ms > 0) || !(s.P90Ms > 0) || math.IsInf(s.MedianMs, 0) {
			t.Errorf("%s: want timed calls with positive finite times, got %+v", c, s)
		}
	}
	if len(stats) != len(Cases) {
		t.Errorf("got %d cases, want %d: %v", len(stats), len(Cases), stats)
	}
	if _, ok := ChainVsForward(stats, TinySizes.T); !ok {
		t.Error("ChainVsForward: not ok with both cases present")
	}
	t.Logf("backend %s: %+v (tiny sizes; not timings)", backendpkg.NameOf(backend), stats)
}

func TestRunOursSubsetAndErrors(t *testing.T) {
	backend := testBackend(t)
	opt := tinyOptions(t)
	opt.Cases = []string{MLPForward}
	stats, err := RunOursWith(backend, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 || stats[MLPForward].N < 1 {
		t.Errorf("want only %s, got %v", MLPForward, stats)
	}
	opt.Cases = []string{"nope"}
	if _, err := RunOursWith(backend, opt); err == nil || !strings.Contains(err.Error(), "unknown case") {
		t.Errorf("unknown case: err = %v", err)
	}
}

// peerPython returns Debian's interpreter if it imports torch, else skips.
func peerPython(t *testing.T) string {
	const py = "/usr/bin/python3"
	if testing.Short() {
		t.Skip("-short: not running the PyTorch peer")
	}
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch (run bench/install-peer.sh): %v", py, err)
	}
	return py
}

func TestRunPeerTiny(t *testing.T) {
	opt := tinyOptions(t)
	opt.Python = peerPython(t)
	opt.Threads = 1
	r, err := RunPeerWith(opt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Params["mlp"] != MLPParams || r.Params["unet"] != UNetParams || r.Params["s2dunet"] != S2DUNetParams || r.Params["uvit"] != UViTParams {
		t.Errorf("params %v", r.Params)
	}
	for _, c := range Cases {
		if s := r.Cases[c]; s.N != 1 || !(s.MedianMs > 0) {
			t.Errorf("peer %s: %+v", c, s)
		}
	}
	if r.Threads != 1 || r.Sizes["T"] != TinySizes.T {
		t.Errorf("threads %d, sizes %v", r.Threads, r.Sizes)
	}
	t.Logf("torch %s, blas %s", r.Torch, r.BLAS)
}

func TestStatsOf(t *testing.T) {
	// numpy.percentile([1..10], [50, 10, 90]) = 5.5, 1.9, 9.1.
	s := StatsOf([]float64{10, 2, 3, 4, 5, 6, 7, 8, 9, 1})
	want := Stats{MedianMs: 5.5, P10Ms: 1.9, P90Ms: 9.1, N: 10}
	if math.Abs(s.MedianMs-want.MedianMs) > 1e-12 || math.Abs(s.P10Ms-want.P10Ms) > 1e-12 || math.Abs(s.P90Ms-want.P90Ms) > 1e-12 || s.N != 10 {
		t.Errorf("StatsOf = %+v, want %+v", s, want)
	}
	if s := StatsOf([]float64{3}); s != (Stats{3, 3, 3, 1}) {
		t.Errorf("one sample: %+v", s)
	}
}

func TestCompareTableJSON(t *testing.T) {
	ours := map[string]Stats{MLPTrain: {MedianMs: 77}, UNetTrain: {MedianMs: 14600}, MLPChain: {MedianMs: 75000}, MLPForward: {MedianMs: 0.07}}
	peer := map[string]Stats{MLPTrain: {MedianMs: 12.1}, UNetTrain: {MedianMs: 1630}, MLPChain: {MedianMs: 6700}}
	rs := Compare("go", ours, peer)
	rs = append(rs, Compare("xla:cpu", map[string]Stats{UNetForward: {MedianMs: 123.456}}, map[string]Stats{UNetForward: {MedianMs: 490}})...)
	wantNames := []string{MLPTrain, UNetTrain, MLPChain, MLPForward, UNetForward}
	if len(rs) != len(wantNames) {
		t.Fatalf("Compare: %d results, want %d: %+v", len(rs), len(wantNames), rs)
	}
	for i, r := range rs {
		if r.Name != wantNames[i] {
			t.Errorf("result %d is %s, want %s", i, r.Name, wantNames[i])
		}
	}
	if math.Abs(rs[0].Ratio-77/12.1) > 1e-12 || rs[3].PeerMs != 0 || rs[3].Ratio != 0 {
		t.Errorf("ratios: %+v", rs)
	}

	// The table parses back: a header, then one row per result with the same fields.
	var buf bytes.Buffer
	Table(&buf, rs)
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != len(rs)+1 {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(rs)+1, buf.String())
	}
	if h := strings.Fields(lines[0]); h[0] != "case" || h[len(h)-1] != "ours/peer" {
		t.Errorf("header %q", lines[0])
	}
	width := len([]rune(lines[0]))
	for i, line := range lines[1:] {
		if len([]rune(line)) != width {
			t.Errorf("row %d not aligned with the header (%d vs %d runes):\n%s", i, len([]rune(line)), width, buf.String())
		}
		f := strings.Fields(line)
		if len(f) != 5 || f[0] != rs[i].Name || f[1] != rs[i].Backend {
			t.Errorf("row %d = %q", i, line)
			continue
		}
		ours, err := strconv.ParseFloat(f[2], 64)
		if err != nil || math.Abs(ours-rs[i].OursMs) > 0.01*rs[i].OursMs {
			t.Errorf("row %d ours %q, want %g", i, f[2], rs[i].OursMs)
		}
		if rs[i].PeerMs == 0 {
			if f[3] != "-" || f[4] != "-" {
				t.Errorf("row %d without peer: %q", i, line)
			}
			continue
		}
		ratio, err := strconv.ParseFloat(strings.TrimSuffix(f[4], "×"), 64)
		if err != nil || math.Abs(ratio-rs[i].Ratio) > 0.01 {
			t.Errorf("row %d ratio %q, want %.2f", i, f[4], rs[i].Ratio)
		}
	}
	t.Logf("\n%s", buf.String())

	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	// An old results file is replaced; a file that is not JSON is not
	// (atomicfile's writing rule).
	notes := filepath.Join(dir, "notes.json")
	os.WriteFile(notes, []byte("my notes"), 0o644)
	if err := CheckOut(notes); err == nil {
		t.Error("CheckOut accepted a file that is not JSON")
	}
	if err := WriteJSON(notes, rs); err == nil {
		t.Error("WriteJSON replaced a file that is not JSON")
	} else if b, _ := os.ReadFile(notes); string(b) != "my notes" {
		t.Error("the refused file changed")
	}
	os.Remove(notes)
	if err := os.WriteFile(path, []byte(`[{"name": "old"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(path, rs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rs) {
		t.Errorf("JSON round trip:\n got %+v\nwant %+v", back, rs)
	}
	raw, _ := os.ReadFile(path)
	for _, key := range []string{`"name"`, `"backend"`, `"ours_ms"`, `"peer_ms"`, `"ratio"`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("results.json lacks %s", key)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("WriteJSON left %d files in the folder, want 1", len(ents))
	}

	var line bytes.Buffer
	PrintChainVsForward(&line, "go", map[string]Stats{MLPChain: {MedianMs: 1100}, MLPForward: {MedianMs: 1}}, 1000)
	if !strings.Contains(line.String(), "1.10×") || !strings.Contains(line.String(), "within target") {
		t.Errorf("chain line %q", line.String())
	}
}

func TestRunTiny(t *testing.T) {
	// Without the peer (TestRunPeerTiny runs it): the Go backend only, plus one that cannot start.
	cfg := Config{Backends: []string{"go", "no-such-backend"}, Options: tinyOptions(t), NoPeer: true}
	cfg.Out = filepath.Join(t.TempDir(), "results.json")
	var out bytes.Buffer
	rs, err := Run(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out.String())
	if len(rs) != len(Cases) {
		t.Errorf("%d results, want %d", len(rs), len(Cases))
	}
	for _, r := range rs {
		if r.Backend != GoBackendConfig || !(r.OursMs > 0) || r.PeerMs != 0 || r.Ratio != 0 {
			t.Errorf("result %+v", r)
		}
	}
	if !strings.Contains(out.String(), "no-such-backend: cannot start") || !strings.Contains(out.String(), "chain vs 10 × forward ("+GoBackendConfig+")") {
		t.Errorf("output lacks the skipped backend or the chain line:\n%s", out.String())
	}
	back, err := ReadJSON(cfg.Out)
	if err != nil || !reflect.DeepEqual(back, rs) {
		t.Errorf("ReadJSON = %v, %v", back, err)
	}
}
